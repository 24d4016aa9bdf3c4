package dev.jllm.formats.convert;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face and llama.cpp tensor names of GPT-2, BERT and T5, both ways, as llama.cpp's tensor map pairs
 * them. Each table row pairs a Hugging Face name and a GGUF name, {@code #} standing for the block index. Names
 * are written without a model-class prefix ({@code transformer.}, {@code bert.}); reading strips it. GPT-2's
 * Conv1D weights are stored {@code [in, out]} in Hugging Face files and {@code [out, in]} in GGUF files, so
 * {@link #transposed} marks them.
 */
final class FamilyTensorNames {
    private static final Map<String, List<String[]>> TABLES = Map.of(
            "gpt2", List.of(
                    new String[] {"wte.weight", "token_embd.weight"},
                    new String[] {"wpe.weight", "position_embd.weight"},
                    new String[] {"h.#.ln_1.", "blk.#.attn_norm."},
                    new String[] {"h.#.attn.c_attn.", "blk.#.attn_qkv."},
                    new String[] {"h.#.attn.c_proj.", "blk.#.attn_output."},
                    new String[] {"h.#.ln_2.", "blk.#.ffn_norm."},
                    new String[] {"h.#.mlp.c_fc.", "blk.#.ffn_up."},
                    new String[] {"h.#.mlp.c_proj.", "blk.#.ffn_down."},
                    new String[] {"ln_f.", "output_norm."},
                    new String[] {"lm_head.weight", "output.weight"}),
            "bert", List.of(
                    new String[] {"embeddings.word_embeddings.weight", "token_embd.weight"},
                    new String[] {"embeddings.token_type_embeddings.weight", "token_types.weight"},
                    new String[] {"embeddings.position_embeddings.weight", "position_embd.weight"},
                    new String[] {"embeddings.LayerNorm.", "token_embd_norm."},
                    new String[] {"encoder.layer.#.attention.self.query.", "blk.#.attn_q."},
                    new String[] {"encoder.layer.#.attention.self.key.", "blk.#.attn_k."},
                    new String[] {"encoder.layer.#.attention.self.value.", "blk.#.attn_v."},
                    new String[] {"encoder.layer.#.attention.output.dense.", "blk.#.attn_output."},
                    new String[] {"encoder.layer.#.attention.output.LayerNorm.", "blk.#.attn_output_norm."},
                    new String[] {"encoder.layer.#.intermediate.dense.", "blk.#.ffn_up."},
                    new String[] {"encoder.layer.#.output.dense.", "blk.#.ffn_down."},
                    new String[] {"encoder.layer.#.output.LayerNorm.", "blk.#.layer_output_norm."}),
            "t5", List.of(
                    new String[] {"shared.weight", "token_embd.weight"},
                    new String[] {"encoder.block.#.layer.0.layer_norm.", "enc.blk.#.attn_norm."},
                    new String[] {"encoder.block.#.layer.0.SelfAttention.relative_attention_bias.", "enc.blk.#.attn_rel_b."},
                    new String[] {"encoder.block.#.layer.0.SelfAttention.q.", "enc.blk.#.attn_q."},
                    new String[] {"encoder.block.#.layer.0.SelfAttention.k.", "enc.blk.#.attn_k."},
                    new String[] {"encoder.block.#.layer.0.SelfAttention.v.", "enc.blk.#.attn_v."},
                    new String[] {"encoder.block.#.layer.0.SelfAttention.o.", "enc.blk.#.attn_o."},
                    new String[] {"encoder.block.#.layer.1.layer_norm.", "enc.blk.#.ffn_norm."},
                    new String[] {"encoder.block.#.layer.1.DenseReluDense.wi_0.", "enc.blk.#.ffn_gate."},
                    new String[] {"encoder.block.#.layer.1.DenseReluDense.wi_1.", "enc.blk.#.ffn_up."},
                    new String[] {"encoder.block.#.layer.1.DenseReluDense.wi.", "enc.blk.#.ffn_up."},
                    new String[] {"encoder.block.#.layer.1.DenseReluDense.wo.", "enc.blk.#.ffn_down."},
                    new String[] {"encoder.final_layer_norm.", "enc.output_norm."},
                    new String[] {"decoder.block.#.layer.0.layer_norm.", "dec.blk.#.attn_norm."},
                    new String[] {"decoder.block.#.layer.0.SelfAttention.relative_attention_bias.", "dec.blk.#.attn_rel_b."},
                    new String[] {"decoder.block.#.layer.0.SelfAttention.q.", "dec.blk.#.attn_q."},
                    new String[] {"decoder.block.#.layer.0.SelfAttention.k.", "dec.blk.#.attn_k."},
                    new String[] {"decoder.block.#.layer.0.SelfAttention.v.", "dec.blk.#.attn_v."},
                    new String[] {"decoder.block.#.layer.0.SelfAttention.o.", "dec.blk.#.attn_o."},
                    new String[] {"decoder.block.#.layer.1.layer_norm.", "dec.blk.#.cross_attn_norm."},
                    new String[] {"decoder.block.#.layer.1.EncDecAttention.relative_attention_bias.", "dec.blk.#.cross_attn_rel_b."},
                    new String[] {"decoder.block.#.layer.1.EncDecAttention.q.", "dec.blk.#.cross_attn_q."},
                    new String[] {"decoder.block.#.layer.1.EncDecAttention.k.", "dec.blk.#.cross_attn_k."},
                    new String[] {"decoder.block.#.layer.1.EncDecAttention.v.", "dec.blk.#.cross_attn_v."},
                    new String[] {"decoder.block.#.layer.1.EncDecAttention.o.", "dec.blk.#.cross_attn_o."},
                    new String[] {"decoder.block.#.layer.2.layer_norm.", "dec.blk.#.ffn_norm."},
                    new String[] {"decoder.block.#.layer.2.DenseReluDense.wi_0.", "dec.blk.#.ffn_gate."},
                    new String[] {"decoder.block.#.layer.2.DenseReluDense.wi_1.", "dec.blk.#.ffn_up."},
                    new String[] {"decoder.block.#.layer.2.DenseReluDense.wi.", "dec.blk.#.ffn_up."},
                    new String[] {"decoder.block.#.layer.2.DenseReluDense.wo.", "dec.blk.#.ffn_down."},
                    new String[] {"decoder.final_layer_norm.", "dec.output_norm."},
                    new String[] {"lm_head.weight", "output.weight"}));
    /** Model-class prefixes that Hugging Face puts before the base model's names. */
    private static final List<String> PREFIXES = List.of("transformer.", "bert.");

    private FamilyTensorNames() {
    }

    /** Whether {@code arch} (a GGUF architecture name) has a table here. */
    static boolean covers(String arch) {
        return TABLES.containsKey(arch);
    }

    /** The GGUF name of Hugging Face tensor {@code hf} of {@code arch}, or null when it has none. */
    static String toGguf(String arch, String hf) {
        for (String p : PREFIXES) {
            if (hf.startsWith(p)) {
                hf = hf.substring(p.length());
                break;
            }
        }
        if (arch.equals("bert") && (hf.endsWith("LayerNorm.gamma") || hf.endsWith("LayerNorm.beta"))) {
            // checkpoints converted from TensorFlow name LayerNorm's scale and shift gamma and beta
            hf = hf.substring(0, hf.lastIndexOf('.')) + (hf.endsWith("gamma") ? ".weight" : ".bias");
        }
        return translate(arch, hf, 0, 1);
    }

    /**
     * The Hugging Face name of GGUF tensor {@code gguf} of {@code arch}, or null when it has none.
     *
     * @param gated whether the model's MLP has a gate: T5 then names its up projection {@code wi_1}, else {@code wi}
     */
    static String toHf(String arch, String gguf, boolean gated) {
        String hf = translate(arch, gguf, 1, 0);
        return hf != null && !gated ? hf.replace(".DenseReluDense.wi_1.", ".DenseReluDense.wi.") : hf;
    }

    /** Whether the tensor's Hugging Face layout is the transpose of its GGUF layout (GPT-2's Conv1D weights). */
    static boolean transposed(String arch, String gguf) {
        return arch.equals("gpt2") && gguf.endsWith(".weight")
                && (gguf.contains(".attn_qkv.") || gguf.contains(".attn_output.") || gguf.contains(".ffn_up.")
                || gguf.contains(".ffn_down."));
    }

    private static String translate(String arch, String name, int from, int to) {
        List<String[]> table = TABLES.get(arch);
        if (table == null) {
            return null;
        }
        for (String[] row : table) {
            String src = row[from];
            String dst = row[to];
            boolean prefix = src.endsWith(".");
            String regex = Pattern.quote(src).replace("#", "\\E(\\d+)\\Q") + (prefix ? "(weight|bias)" : "");
            Matcher m = Pattern.compile(regex).matcher(name);
            if (m.matches()) {
                String out = src.contains("#") ? dst.replace("#", m.group(1)) : dst;
                return prefix ? out + m.group(m.groupCount()) : out;
            }
        }
        return null;
    }
}
