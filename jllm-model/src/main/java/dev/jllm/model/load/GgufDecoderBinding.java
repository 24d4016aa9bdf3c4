package dev.jllm.model.load;

import static dev.jllm.model.load.GgufTensors.floats;
import static dev.jllm.model.load.GgufTensors.intKey;
import static dev.jllm.model.load.GgufTensors.tensor;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.model.DecoderFamily;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.RopeScaling;
import dev.jllm.model.decoder.DecoderWeights;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads a decoder's {@link ModelConfig} from GGUF metadata ({@code <arch>.embedding_length},
 * {@code <arch>.attention.head_count}, …) and binds llama.cpp's tensor names ({@code token_embd},
 * {@code blk.N.attn_q}, …) to its weights, as views into the mapped file.
 */
public final class GgufDecoderBinding {
    private GgufDecoderBinding() {
    }

    /**
     * The configuration a GGUF file declares.
     *
     * @throws FormatException naming the key when one is missing or invalid, or listing the supported
     *     architectures when the file's is not one of them
     */
    public static ModelConfig config(GgufFile file) throws FormatException {
        String arch = file.getString("general.architecture");
        DecoderFamily family = DecoderFamily.of(arch).orElseThrow(() -> new FormatException(file.path(), -1,
                "general.architecture", "architecture '" + arch + "' is not supported; supported: "
                        + DecoderFamily.supportedNames()));
        String p = arch + ".";
        int dim = intKey(file, p + "embedding_length");
        int layers = intKey(file, p + "block_count");
        int heads = intKey(file, p + "attention.head_count");
        int kvHeads = (int) file.getLong(p + "attention.head_count_kv", heads);
        int headDim = (int) file.getLong(p + "attention.key_length", heads == 0 ? 0 : dim / heads);
        int ffn = intKey(file, p + "feed_forward_length");
        int context = intKey(file, p + "context_length");
        Tensor embedding = tensor(file, "token_embd.weight");
        int vocab = (int) file.getLong(p + "vocab_size", embedding.rows());
        String epsKey = family.norm() == ModelConfig.Norm.RMS ? "attention.layer_norm_rms_epsilon"
                : "attention.layer_norm_epsilon";
        float eps = (float) file.getDouble(p + epsKey);
        int rotary = 0;
        double theta = 0;
        RopeScaling scaling = RopeScaling.NONE;
        if (family.positions() != ModelConfig.Positions.LEARNED) {
            rotary = (int) file.getLong(p + "rope.dimension_count", headDim);
            theta = file.has(p + "rope.freq_base") ? file.getDouble(p + "rope.freq_base") : 10000.0;
            scaling = ropeScaling(file, p, rotary);
        }
        int window = (int) file.getLong(p + "attention.sliding_window", 0);
        try {
            return new ModelConfig(family.ggufName(), vocab, dim, layers, heads, kvHeads, headDim, ffn, context,
                    family.norm(), eps, family.positions(), rotary, theta, scaling, family.mlp(), family.qkNorm(),
                    window);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file.path(), -1, arch, e.getMessage());
        }
    }

    private static RopeScaling ropeScaling(GgufFile file, String p, int rotary) throws FormatException {
        Optional<GgufTensorInfo> divisors = file.findTensor("rope_freqs.weight");
        if (divisors.isPresent()) {
            float[] d = floats(file, "rope_freqs.weight");
            if (d.length != rotary / 2) {
                throw new FormatException(file.path(), -1, "rope_freqs.weight", "holds " + d.length
                        + " values for " + rotary / 2 + " rotary pairs");
            }
            try {
                return new RopeScaling.Divisors(d);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file.path(), -1, "rope_freqs.weight", e.getMessage());
            }
        }
        String type = file.findString(p + "rope.scaling.type").orElse("none").toLowerCase(Locale.ROOT);
        switch (type) {
            case "none" -> {
                return RopeScaling.NONE;
            }
            case "linear" -> {
                double factor = file.getDouble(p + "rope.scaling.factor");
                if (factor == 1.0) {
                    return RopeScaling.NONE;
                }
                try {
                    return new RopeScaling.Linear(factor);
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file.path(), -1, p + "rope.scaling.factor", e.getMessage());
                }
            }
            default -> throw new FormatException(file.path(), -1, p + "rope.scaling.type", "RoPE scaling '" + type
                    + "' is not supported; supported: none, linear, llama3 (rope_freqs)");
        }
    }

    /**
     * Binds the file's tensors to a decoder of {@code config}.
     *
     * @throws FormatException naming the tensor that is missing or has a type without kernels
     */
    public static DecoderWeights bind(GgufFile file, ModelConfig config) throws FormatException {
        return DecoderTensorBinding.bind(GgufTensors.named(file), config);
    }
}
