package dev.jllm.formats.init;

import java.util.ArrayList;
import java.util.List;

/**
 * Named model shapes for {@code jllm init}: the published sizes of a few small models, and
 * {@code tiny} (about a million parameters) for every architecture.
 */
public enum ModelPreset {
    /** Llama 3.2 1B: tied embeddings, RoPE θ 500000, 128k context. */
    LLAMA_3_2_1B("llama-3.2-1b", Architecture.LLAMA,
            new ModelDims(2048, 16, 32, 8, 8192, 128256, 64, 131072, 500000f, 1e-5f, true)),
    /** TinyLlama 1.1B. */
    TINYLLAMA_1_1B("tinyllama-1.1b", Architecture.LLAMA,
            new ModelDims(2048, 22, 32, 4, 5632, 32000, 64, 2048, 10000f, 1e-5f, false)),
    /** Mistral 7B v0.2/v0.3 shape (θ 1e6, 32k context). */
    MISTRAL_7B("mistral-7b", Architecture.MISTRAL,
            new ModelDims(4096, 32, 32, 8, 14336, 32768, 128, 32768, 1000000f, 1e-5f, false)),
    /** Qwen2.5 0.5B: q/k/v biases, tied embeddings, θ 1e6. */
    QWEN2_5_0_5B("qwen2.5-0.5b", Architecture.QWEN2,
            new ModelDims(896, 24, 14, 2, 4864, 151936, 64, 32768, 1000000f, 1e-6f, true)),
    /** Qwen3 0.6B: head width 128 (wider than dim/heads), q/k norms, tied embeddings. */
    QWEN3_0_6B("qwen3-0.6b", Architecture.QWEN3,
            new ModelDims(1024, 28, 16, 8, 3072, 151936, 128, 40960, 1000000f, 1e-6f, true)),
    /** GPT-2 small (124M), output tied to the token embedding. */
    GPT2_124M("gpt2-124m", Architecture.GPT2,
            new ModelDims(768, 12, 12, 12, 3072, 50257, 64, 1024, 10000f, 1e-5f, true)),
    /** BERT base (uncased). */
    BERT_BASE("bert-base", Architecture.BERT,
            new ModelDims(768, 12, 12, 12, 3072, 30522, 64, 512, 10000f, 1e-12f, true)),
    /** Flan-T5 small: 8 encoder and 8 decoder blocks, gated-GELU MLP of 1024, 6 heads of 64 (wider than 512/8). */
    FLAN_T5_SMALL("flan-t5-small", Architecture.T5,
            new ModelDims(512, 8, 6, 6, 1024, 32128, 64, 512, 10000f, 1e-6f, false));

    /** The name of the per-architecture tiny preset. */
    public static final String TINY = "tiny";

    private final String cliName;
    private final Architecture architecture;
    private final ModelDims dims;

    ModelPreset(String cliName, Architecture architecture, ModelDims dims) {
        this.cliName = cliName;
        this.architecture = architecture;
        this.dims = dims;
    }

    /** The name users type. */
    public String cliName() {
        return cliName;
    }

    /** The preset's architecture. */
    public Architecture architecture() {
        return architecture;
    }

    /** The preset's dimensions. */
    public ModelDims dims() {
        return dims;
    }

    /**
     * The dimensions of the {@code tiny} model of {@code arch}: width 128, 4 blocks (T5: 2 encoder and 2 decoder), 4 heads (2 kv heads
     * where the architecture has grouped-query attention), vocabulary 512, context 256.
     */
    public static ModelDims tiny(Architecture arch) {
        boolean gqa = arch.usesRope();
        int ff = gqa ? 384 : 512;
        // T5 has two stacks of blocks (encoder and decoder), so half as many of each
        int layers = arch == Architecture.T5 ? 2 : 4;
        return new ModelDims(128, layers, 4, gqa ? 2 : 4, ff, 512, 32, 256, 10000f, 1e-5f, arch != Architecture.LLAMA);
    }

    /**
     * The preset called {@code name}.
     *
     * @throws IllegalArgumentException naming the known ones otherwise
     */
    public static ModelPreset parse(String name) {
        for (ModelPreset p : values()) {
            if (p.cliName.equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        List<String> known = new ArrayList<>(List.of(TINY));
        for (ModelPreset p : values()) {
            known.add(p.cliName);
        }
        throw new IllegalArgumentException("unknown preset \"" + name + "\"; known: " + String.join(", ", known));
    }
}
