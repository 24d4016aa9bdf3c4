package dev.jllm.formats.init;

import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.init.ModelDims.Dim;
import dev.jllm.formats.init.TensorSpec.Init;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The model architectures {@code jllm init} writes, each as a table of llama.cpp's GGUF tensor names
 * and symbolic shapes plus how its metadata is keyed.
 *
 * <p>A table row names a tensor ({@code %d} standing for the block index in per-block rows), its
 * row-major shape in {@link Dim}s, its initialisation, and whether it exists only without tied
 * embeddings. Keys that differ between architectures only by a constant are in the same table.
 * Mistral models are llama models to llama.cpp, so their files say {@code llama}.
 */
public enum Architecture {
    /** Llama 2/3: RMSNorm, RoPE, grouped-query attention, SwiGLU. */
    LLAMA("llama", Norm.RMS, true, Tables.LLAMA, Map.of()),
    /** Mistral: llama's layout (written as {@code general.architecture = llama}, as llama.cpp's converter does). */
    MISTRAL("llama", Norm.RMS, true, Tables.LLAMA, Map.of()),
    /** Qwen2/2.5: llama's layout with biases on q, k and v. */
    QWEN2("qwen2", Norm.RMS, true, Tables.QWEN2, Map.of()),
    /** Qwen3: llama's layout with RMSNorm on each head of q and k. */
    QWEN3("qwen3", Norm.RMS, true, Tables.QWEN3, Map.of()),
    /** GPT-2: LayerNorm with biases, learned positions, fused qkv, GELU MLP with biases. */
    GPT2("gpt2", Norm.LAYER, false, Tables.GPT2, Map.of()),
    /** BERT: encoder with token-type and position embeddings and post-LayerNorms. */
    BERT("bert", Norm.LAYER, false, Tables.BERT, Map.of(
            ".attention.causal", GgufValue.bool(false),
            ".pooling_type", GgufValue.uint32(2),
            // llama.cpp refuses a BERT model without it; a --vocab-from tokenizer may override it
            "tokenizer.ggml.token_type_count", GgufValue.uint32(2))),
    /** T5: encoder-decoder with RMS norms, relative position buckets and a ReLU/gated MLP. */
    T5("t5", Norm.RMS, false, Tables.T5, Map.of(
            ".attention.relative_buckets_count", GgufValue.uint32(ModelDims.RELATIVE_BUCKETS),
            ".decoder_start_token_id", GgufValue.uint32(0)));

    /** How the architecture normalises, which picks the epsilon key. */
    enum Norm {
        RMS, LAYER
    }

    private final String ggufName;
    private final Norm norm;
    private final boolean rope;
    private final List<Row> table;
    private final Map<String, GgufValue> fixedKeys;

    Architecture(String ggufName, Norm norm, boolean rope, List<Row> table, Map<String, GgufValue> fixedKeys) {
        this.ggufName = ggufName;
        this.norm = norm;
        this.rope = rope;
        this.table = table;
        this.fixedKeys = fixedKeys;
    }

    /**
     * The metadata only this architecture has, with constant values (sorted by key); keys starting with a
     * dot get the architecture's prefix.
     */
    public Map<String, GgufValue> fixedKeys() {
        Map<String, GgufValue> out = new java.util.TreeMap<>();
        fixedKeys.forEach((k, v) -> out.put(k.startsWith(".") ? ggufName + k : k, v));
        return out;
    }

    /** The value of {@code general.architecture} and the prefix of the architecture's keys. */
    public String ggufName() {
        return ggufName;
    }

    /** Whether positions are rotary (so the rope keys are written). */
    public boolean usesRope() {
        return rope;
    }

    /** The metadata key of the norm epsilon, without the architecture prefix. */
    public String normEpsilonKey() {
        return norm == Norm.RMS ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon";
    }

    /** The name users type: llama, mistral, qwen2, qwen3, gpt2, bert, t5. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The architecture called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the known ones otherwise
     */
    public static Architecture parse(String name) {
        for (Architecture a : values()) {
            if (a.cliName().equalsIgnoreCase(name.trim())) {
                return a;
            }
        }
        List<String> known = new ArrayList<>();
        for (Architecture a : values()) {
            known.add(a.cliName());
        }
        throw new IllegalArgumentException("unknown architecture \"" + name + "\"; known: " + String.join(", ", known));
    }

    /** The tensors of a model with {@code dims}, in file order: globals first, then block by block, then the head. */
    public List<TensorSpec> tensors(ModelDims dims) {
        List<TensorSpec> out = new ArrayList<>();
        for (Row r : table) {
            if (r.place == Place.FIRST) {
                add(out, r, dims, -1);
            }
        }
        for (int layer = 0; layer < dims.layers(); layer++) {
            for (Row r : table) {
                if (r.place == Place.BLOCK || (r.place == Place.FIRST_BLOCK && layer == 0)) {
                    add(out, r, dims, layer);
                }
            }
        }
        for (Row r : table) {
            if (r.place == Place.LAST && !(r.untiedOnly && dims.tiedEmbeddings())) {
                add(out, r, dims, -1);
            }
        }
        return out;
    }

    private static void add(List<TensorSpec> out, Row r, ModelDims dims, int layer) {
        long[] shape = new long[r.shape.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.size(r.shape[i]);
        }
        String name = layer < 0 ? r.name : String.format(Locale.ROOT, r.name, layer);
        out.add(new TensorSpec(name, shape, r.init));
    }

    /** Where a row's tensor sits in the file: before the blocks, in every block, in block 0 only, or after them. */
    enum Place {
        FIRST, BLOCK, FIRST_BLOCK, LAST
    }

    /** One row of an architecture table. */
    record Row(Place place, String name, Init init, boolean untiedOnly, Dim... shape) {
    }

    /** The tables; a nested class because enum constants cannot refer to static fields of their enum. */
    private static final class Tables {
        static final List<Row> LLAMA_BLOCK = List.of(
                block("blk.%d.attn_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.attn_q.weight", Init.NORMAL, Dim.Q_DIM, Dim.DIM),
                block("blk.%d.attn_k.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM),
                block("blk.%d.attn_v.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM),
                block("blk.%d.attn_output.weight", Init.NORMAL, Dim.DIM, Dim.Q_DIM),
                block("blk.%d.ffn_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.ffn_gate.weight", Init.NORMAL, Dim.FF, Dim.DIM),
                block("blk.%d.ffn_up.weight", Init.NORMAL, Dim.FF, Dim.DIM),
                block("blk.%d.ffn_down.weight", Init.NORMAL, Dim.DIM, Dim.FF));
        static final List<Row> LLAMA_ENDS = List.of(
                new Row(Place.FIRST, "token_embd.weight", Init.NORMAL, false, Dim.VOCAB, Dim.DIM),
                new Row(Place.LAST, "output_norm.weight", Init.ONES, false, Dim.DIM),
                new Row(Place.LAST, "output.weight", Init.NORMAL, true, Dim.VOCAB, Dim.DIM));
        static final List<Row> LLAMA = concat(LLAMA_ENDS, LLAMA_BLOCK);
        static final List<Row> QWEN2 = concat(LLAMA, List.of(
                block("blk.%d.attn_q.bias", Init.ZEROS, Dim.Q_DIM),
                block("blk.%d.attn_k.bias", Init.ZEROS, Dim.KV_DIM),
                block("blk.%d.attn_v.bias", Init.ZEROS, Dim.KV_DIM)));
        static final List<Row> QWEN3 = concat(LLAMA, List.of(
                block("blk.%d.attn_q_norm.weight", Init.ONES, Dim.HEAD_DIM),
                block("blk.%d.attn_k_norm.weight", Init.ONES, Dim.HEAD_DIM)));
        static final List<Row> GPT2 = List.of(
                new Row(Place.FIRST, "token_embd.weight", Init.NORMAL, false, Dim.VOCAB, Dim.DIM),
                new Row(Place.FIRST, "position_embd.weight", Init.NORMAL, false, Dim.CONTEXT, Dim.DIM),
                block("blk.%d.attn_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.attn_norm.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.attn_qkv.weight", Init.NORMAL, Dim.QKV_DIM, Dim.DIM),
                block("blk.%d.attn_qkv.bias", Init.ZEROS, Dim.QKV_DIM),
                block("blk.%d.attn_output.weight", Init.NORMAL, Dim.DIM, Dim.DIM),
                block("blk.%d.attn_output.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.ffn_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.ffn_norm.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.ffn_up.weight", Init.NORMAL, Dim.FF, Dim.DIM),
                block("blk.%d.ffn_up.bias", Init.ZEROS, Dim.FF),
                block("blk.%d.ffn_down.weight", Init.NORMAL, Dim.DIM, Dim.FF),
                block("blk.%d.ffn_down.bias", Init.ZEROS, Dim.DIM),
                new Row(Place.LAST, "output_norm.weight", Init.ONES, false, Dim.DIM),
                new Row(Place.LAST, "output_norm.bias", Init.ZEROS, false, Dim.DIM),
                new Row(Place.LAST, "output.weight", Init.NORMAL, true, Dim.VOCAB, Dim.DIM));
        static final List<Row> BERT = List.of(
                new Row(Place.FIRST, "token_embd.weight", Init.NORMAL, false, Dim.VOCAB, Dim.DIM),
                new Row(Place.FIRST, "token_types.weight", Init.NORMAL, false, Dim.TOKEN_TYPES, Dim.DIM),
                new Row(Place.FIRST, "position_embd.weight", Init.NORMAL, false, Dim.CONTEXT, Dim.DIM),
                new Row(Place.FIRST, "token_embd_norm.weight", Init.ONES, false, Dim.DIM),
                new Row(Place.FIRST, "token_embd_norm.bias", Init.ZEROS, false, Dim.DIM),
                block("blk.%d.attn_q.weight", Init.NORMAL, Dim.DIM, Dim.DIM),
                block("blk.%d.attn_q.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.attn_k.weight", Init.NORMAL, Dim.DIM, Dim.DIM),
                block("blk.%d.attn_k.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.attn_v.weight", Init.NORMAL, Dim.DIM, Dim.DIM),
                block("blk.%d.attn_v.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.attn_output.weight", Init.NORMAL, Dim.DIM, Dim.DIM),
                block("blk.%d.attn_output.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.attn_output_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.attn_output_norm.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.ffn_up.weight", Init.NORMAL, Dim.FF, Dim.DIM),
                block("blk.%d.ffn_up.bias", Init.ZEROS, Dim.FF),
                block("blk.%d.ffn_down.weight", Init.NORMAL, Dim.DIM, Dim.FF),
                block("blk.%d.ffn_down.bias", Init.ZEROS, Dim.DIM),
                block("blk.%d.layer_output_norm.weight", Init.ONES, Dim.DIM),
                block("blk.%d.layer_output_norm.bias", Init.ZEROS, Dim.DIM));

        static final List<Row> T5 = t5();

        private static List<Row> t5() {
            List<Row> rows = new ArrayList<>();
            rows.add(new Row(Place.FIRST, "token_embd.weight", Init.NORMAL, false, Dim.VOCAB, Dim.DIM));
            for (String part : List.of("enc", "dec")) {
                String b = part + ".blk.%d.";
                rows.add(block(b + "attn_norm.weight", Init.ONES, Dim.DIM));
                // only block 0 has the relative position bias; llama.cpp shares it with the other blocks
                rows.add(new Row(Place.FIRST_BLOCK, b + "attn_rel_b.weight", Init.NORMAL, false, Dim.REL_BUCKETS, Dim.HEADS));
                rows.add(block(b + "attn_q.weight", Init.NORMAL, Dim.Q_DIM, Dim.DIM));
                rows.add(block(b + "attn_k.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM));
                rows.add(block(b + "attn_v.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM));
                rows.add(block(b + "attn_o.weight", Init.NORMAL, Dim.DIM, Dim.Q_DIM));
                if (part.equals("dec")) {
                    rows.add(block(b + "cross_attn_norm.weight", Init.ONES, Dim.DIM));
                    rows.add(block(b + "cross_attn_q.weight", Init.NORMAL, Dim.Q_DIM, Dim.DIM));
                    rows.add(block(b + "cross_attn_k.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM));
                    rows.add(block(b + "cross_attn_v.weight", Init.NORMAL, Dim.KV_DIM, Dim.DIM));
                    rows.add(block(b + "cross_attn_o.weight", Init.NORMAL, Dim.DIM, Dim.Q_DIM));
                }
                rows.add(block(b + "ffn_norm.weight", Init.ONES, Dim.DIM));
                rows.add(block(b + "ffn_gate.weight", Init.NORMAL, Dim.FF, Dim.DIM));
                rows.add(block(b + "ffn_up.weight", Init.NORMAL, Dim.FF, Dim.DIM));
                rows.add(block(b + "ffn_down.weight", Init.NORMAL, Dim.DIM, Dim.FF));
            }
            rows.add(new Row(Place.LAST, "enc.output_norm.weight", Init.ONES, false, Dim.DIM));
            rows.add(new Row(Place.LAST, "dec.output_norm.weight", Init.ONES, false, Dim.DIM));
            rows.add(new Row(Place.LAST, "output.weight", Init.NORMAL, true, Dim.VOCAB, Dim.DIM));
            return List.copyOf(rows);
        }

        private static Row block(String name, Init init, Dim... shape) {
            return new Row(Place.BLOCK, name, init, false, shape);
        }

        private static List<Row> concat(List<Row> a, List<Row> b) {
            List<Row> out = new ArrayList<>(a);
            out.addAll(b);
            return List.copyOf(out);
        }
    }
}
