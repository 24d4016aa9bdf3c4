package dev.jllm.formats.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.quantize.TensorTypeChooser.TensorDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TensorTypeChooserTest {
    /** Layers where llama.cpp's use_more_bits holds for 32 layers: i < 4, i >= 28, (i - 4) % 3 == 2. */
    private static final Set<Integer> MORE_BITS_32 = Set.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);

    /** A Llama-2-7B-like tensor list (dim 4096, ff 11008, vocab 32000), optionally without output.weight. */
    private static List<TensorDescription> llama32(int dim, int ff, boolean untied) {
        List<TensorDescription> ts = new ArrayList<>();
        ts.add(new TensorDescription("token_embd.weight", DType.F16, new long[] {32000, dim}));
        for (int i = 0; i < 32; i++) {
            String b = "blk." + i + ".";
            ts.add(new TensorDescription(b + "attn_norm.weight", DType.F32, new long[] {dim}));
            ts.add(new TensorDescription(b + "attn_q.weight", DType.F16, new long[] {dim, dim}));
            ts.add(new TensorDescription(b + "attn_k.weight", DType.F16, new long[] {dim / 4, dim}));
            ts.add(new TensorDescription(b + "attn_v.weight", DType.F16, new long[] {dim / 4, dim}));
            ts.add(new TensorDescription(b + "attn_output.weight", DType.F16, new long[] {dim, dim}));
            ts.add(new TensorDescription(b + "ffn_norm.weight", DType.F32, new long[] {dim}));
            ts.add(new TensorDescription(b + "ffn_gate.weight", DType.F16, new long[] {ff, dim}));
            ts.add(new TensorDescription(b + "ffn_up.weight", DType.F16, new long[] {ff, dim}));
            ts.add(new TensorDescription(b + "ffn_down.weight", DType.F16, new long[] {dim, ff}));
        }
        ts.add(new TensorDescription("output_norm.weight", DType.F32, new long[] {dim}));
        if (untied) {
            ts.add(new TensorDescription("output.weight", DType.F16, new long[] {32000, dim}));
        }
        return ts;
    }

    private static Map<String, DType> choose(List<TensorDescription> ts, LlamaFileType ft) {
        List<DType> types = TensorTypeChooser.choose(ts, ft, false);
        Map<String, DType> m = new LinkedHashMap<>();
        for (int i = 0; i < ts.size(); i++) {
            m.put(ts.get(i).name(), types.get(i));
        }
        return m;
    }

    /** The expected table written from llama.cpp's rules for the _M recipes. */
    private static void checkMediumRecipe(LlamaFileType ft, DType base) {
        Map<String, DType> m = choose(llama32(4096, 11008, true), ft);
        assertEquals(base, m.get("token_embd.weight"));
        assertEquals(DType.Q6_K, m.get("output.weight"));
        assertEquals(DType.F32, m.get("output_norm.weight"));
        for (int i = 0; i < 32; i++) {
            String b = "blk." + i + ".";
            DType more = MORE_BITS_32.contains(i) ? DType.Q6_K : base;
            assertEquals(more, m.get(b + "attn_v.weight"), b + "attn_v");
            assertEquals(more, m.get(b + "ffn_down.weight"), b + "ffn_down");
            for (String s : List.of("attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up")) {
                assertEquals(base, m.get(b + s + ".weight"), b + s);
            }
            assertEquals(DType.F32, m.get(b + "attn_norm.weight"));
            assertEquals(DType.F32, m.get(b + "ffn_norm.weight"));
        }
    }

    /**
     * The Q3_K recipes, from llama.cpp's rules: _S all Q3_K; _M attn_v Q5_K in the first two layers and Q4_K after,
     * ffn_down Q5_K in the first sixteenth (two of 32) and Q4_K after, attn_output Q4_K; _L those three Q5_K. The
     * output matrix Q6_K in each; a row length that takes no Q3_K block falls back to Q4_0.
     */
    @Test
    void q3KRecipesFollowLlamaCpp() {
        for (LlamaFileType ft : List.of(LlamaFileType.MOSTLY_Q3_K_S, LlamaFileType.MOSTLY_Q3_K_M,
                LlamaFileType.MOSTLY_Q3_K_L)) {
            Map<String, DType> m = choose(llama32(4096, 11008, true), ft);
            assertEquals(DType.Q3_K, m.get("token_embd.weight"), ft.name());
            assertEquals(DType.Q6_K, m.get("output.weight"), ft.name());
            for (int i = 0; i < 32; i++) {
                String b = "blk." + i + ".";
                DType v = switch (ft) {
                    case MOSTLY_Q3_K_M -> i < 2 ? DType.Q5_K : DType.Q4_K;
                    case MOSTLY_Q3_K_L -> DType.Q5_K;
                    default -> DType.Q3_K;
                };
                DType down = switch (ft) {
                    case MOSTLY_Q3_K_M -> i < 2 ? DType.Q5_K : DType.Q4_K;
                    case MOSTLY_Q3_K_L -> DType.Q5_K;
                    default -> DType.Q3_K;
                };
                DType output = switch (ft) {
                    case MOSTLY_Q3_K_M -> DType.Q4_K;
                    case MOSTLY_Q3_K_L -> DType.Q5_K;
                    default -> DType.Q3_K;
                };
                assertEquals(v, m.get(b + "attn_v.weight"), ft + " " + b + "attn_v");
                assertEquals(down, m.get(b + "ffn_down.weight"), ft + " " + b + "ffn_down");
                assertEquals(output, m.get(b + "attn_output.weight"), ft + " " + b + "attn_output");
                for (String s : List.of("attn_q", "attn_k", "ffn_gate", "ffn_up")) {
                    assertEquals(DType.Q3_K, m.get(b + s + ".weight"), ft + " " + b + s);
                }
            }
        }
        assertEquals(LlamaFileType.MOSTLY_Q3_K_M, LlamaFileType.parse("q3_k_m"));
        assertEquals(12, LlamaFileType.MOSTLY_Q3_K_M.id());
        // Qwen2.5-0.5B's width of 896 takes no 256-column block
        Map<String, DType> narrow = choose(llama32(896, 4864, true), LlamaFileType.MOSTLY_Q3_K_S);
        assertEquals(DType.Q4_0, narrow.get("blk.0.attn_q.weight"));
    }

    /**
     * Q2_K from llama.cpp's rules: attn_output and ffn_down Q3_K, attn_v Q4_K when four or more query heads share a
     * key/value head (Llama-2-7B-like dims with a quarter of the key rows) and Q3_K otherwise, the rest Q2_K.
     */
    @Test
    void q2KFollowsLlamaCpp() {
        Map<String, DType> m = choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_Q2_K);
        assertEquals(DType.Q6_K, m.get("output.weight"));
        for (int i = 0; i < 32; i++) {
            String b = "blk." + i + ".";
            assertEquals(DType.Q4_K, m.get(b + "attn_v.weight"), b + "attn_v");
            assertEquals(DType.Q3_K, m.get(b + "ffn_down.weight"), b + "ffn_down");
            assertEquals(DType.Q3_K, m.get(b + "attn_output.weight"), b + "attn_output");
            for (String s : List.of("attn_q", "attn_k", "ffn_gate", "ffn_up")) {
                assertEquals(DType.Q2_K, m.get(b + s + ".weight"), b + s);
            }
        }
        // two query heads per key/value head
        List<TensorDescription> ts = new ArrayList<>();
        for (TensorDescription t : llama32(4096, 11008, true)) {
            ts.add(t.name().endsWith("attn_k.weight") || t.name().endsWith("attn_v.weight")
                    ? new TensorDescription(t.name(), t.type(), new long[] {2048, 4096}) : t);
        }
        assertEquals(DType.Q3_K, choose(ts, LlamaFileType.MOSTLY_Q2_K).get("blk.5.attn_v.weight"));
        assertEquals(LlamaFileType.MOSTLY_Q2_K, LlamaFileType.parse("Q2_K"));
        assertEquals(10, LlamaFileType.MOSTLY_Q2_K.id());
    }

    @Test
    void q4KMediumFollowsLlamaCpp() {
        checkMediumRecipe(LlamaFileType.MOSTLY_Q4_K_M, DType.Q4_K);
    }

    @Test
    void q5KMediumFollowsLlamaCpp() {
        checkMediumRecipe(LlamaFileType.MOSTLY_Q5_K_M, DType.Q5_K);
    }

    @Test
    void useMoreBitsMatchesTheRule() {
        for (int i = 0; i < 32; i++) {
            assertEquals(MORE_BITS_32.contains(i), TensorTypeChooser.useMoreBits(i, 32), "layer " + i);
        }
    }

    @Test
    void q4KSmallGivesQ5KToTheFirstLayers() {
        Map<String, DType> m = choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_Q4_K_S);
        for (int i = 0; i < 32; i++) {
            DType want = i < 4 ? DType.Q5_K : DType.Q4_K;
            assertEquals(want, m.get("blk." + i + ".attn_v.weight"));
            assertEquals(want, m.get("blk." + i + ".ffn_down.weight"));
        }
        assertEquals(DType.Q6_K, m.get("output.weight"));
    }

    @Test
    void legacyTypesGiveTheOutputQ6KExceptQ8() {
        assertEquals(DType.Q6_K, choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_Q4_0).get("output.weight"));
        assertEquals(DType.Q4_0, choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_Q4_0).get("blk.0.attn_v.weight"));
        assertEquals(DType.Q8_0, choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_Q8_0).get("output.weight"));
        assertEquals(DType.F16, choose(llama32(4096, 11008, true), LlamaFileType.MOSTLY_F16).get("output.weight"));
    }

    @Test
    void tiedEmbeddingsAreTreatedAsTheOutput() {
        Map<String, DType> m = choose(llama32(4096, 11008, false), LlamaFileType.MOSTLY_Q4_K_M);
        assertEquals(DType.Q6_K, m.get("token_embd.weight"));
    }

    @Test
    void rowsNotDivisibleBy256FallBack() {
        // Qwen2.5-0.5B's width 896 = 3.5 × 256
        Map<String, DType> m = choose(llama32(896, 4864, false), LlamaFileType.MOSTLY_Q4_K_M);
        assertEquals(DType.Q8_0, m.get("token_embd.weight"));
        assertEquals(DType.Q5_0, m.get("blk.5.attn_q.weight"));
        assertEquals(DType.Q8_0, m.get("blk.0.attn_v.weight"));
        assertEquals(DType.Q5_0, m.get("blk.4.attn_v.weight"));
        assertEquals(DType.Q4_K, m.get("blk.4.ffn_down.weight")); // rows of ff = 4864 = 19 × 256
        assertEquals(DType.Q6_K, m.get("blk.0.ffn_down.weight"));
        Map<String, DType> m5 = choose(llama32(896, 4864, false), LlamaFileType.MOSTLY_Q5_K_M);
        assertEquals(DType.Q5_1, m5.get("blk.5.attn_q.weight"));
        assertEquals(DType.F16, TensorTypeChooser.fitRow(DType.Q6_K, 100, "x"));
        assertThrows(IllegalArgumentException.class, () -> TensorTypeChooser.fitRow(DType.Q4_0, 100, "x"));
    }

    @Test
    void fusedQkvGetsOneStepMore() {
        List<TensorDescription> ts = List.of(
                new TensorDescription("token_embd.weight", DType.F32, new long[] {1000, 768}),
                new TensorDescription("position_embd.weight", DType.F32, new long[] {1024, 768}),
                new TensorDescription("blk.0.attn_qkv.weight", DType.F32, new long[] {2304, 768}),
                new TensorDescription("blk.0.attn_qkv.bias", DType.F32, new long[] {2304}),
                new TensorDescription("blk.0.ffn_up.weight", DType.F32, new long[] {3072, 768}));
        List<DType> m = TensorTypeChooser.choose(ts, LlamaFileType.MOSTLY_Q4_K_M, false);
        assertEquals(List.of(DType.Q6_K, DType.F32, DType.Q5_K, DType.F32, DType.Q4_K), m);
        assertEquals(DType.Q6_K, TensorTypeChooser.choose(ts, LlamaFileType.MOSTLY_Q5_K_M, false).get(2));
        assertEquals(List.of(DType.Q4_K, DType.F32, DType.Q4_K, DType.F32, DType.Q4_K),
                TensorTypeChooser.choose(ts, LlamaFileType.MOSTLY_Q4_K_M, true));
    }

    @Test
    void typeNames() {
        assertEquals(LlamaFileType.MOSTLY_Q4_K_M, LlamaFileType.parse("q4_k_m"));
        // llama-quantize's aliases: the _M recipes
        assertEquals(LlamaFileType.MOSTLY_Q4_K_M, LlamaFileType.parse("Q4_K"));
        assertEquals(LlamaFileType.MOSTLY_Q5_K_M, LlamaFileType.parse("q5_k"));
        assertEquals(LlamaFileType.MOSTLY_Q3_K_M, LlamaFileType.parse("Q3_K"));
        assertEquals(LlamaFileType.MOSTLY_Q4_K_S, LlamaFileType.parse("Q4_K_S"));
        assertEquals(LlamaFileType.ALL_F32, LlamaFileType.parse("F32"));
        assertEquals(15, LlamaFileType.MOSTLY_Q4_K_M.id());
        assertEquals(7, LlamaFileType.MOSTLY_Q8_0.id());
        IllegalArgumentException nf4 = assertThrows(IllegalArgumentException.class, () -> LlamaFileType.parse("NF4"));
        org.junit.jupiter.api.Assertions.assertTrue(nf4.getMessage().contains("llama.cpp"));
        assertThrows(IllegalArgumentException.class, () -> LlamaFileType.parse("Q3_X"));
    }
}
