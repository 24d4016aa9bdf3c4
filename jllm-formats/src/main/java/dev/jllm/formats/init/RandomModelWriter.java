package dev.jllm.formats.init;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.quantize.RowStreamedTensor;
import dev.jllm.formats.quantize.TensorTypeChooser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a randomly initialised model as a GGUF file in llama.cpp's layout: weight matrices and
 * embeddings normal with standard deviation 0.02, norm weights one, biases zero. Values are drawn row
 * by row from a generator seeded by the seed, the tensor's name and the row, so the file is the same
 * for the same seed and does not depend on batching; rows are converted to the chosen type (per tensor,
 * as {@link TensorTypeChooser} decides) while they stream to the file, so no tensor is held in memory.
 */
public final class RandomModelWriter {
    /** Standard deviation of the normal initialisation. */
    public static final double STD = 0.02;

    private RandomModelWriter() {
    }

    private static int vocabSize(Map<String, GgufValue> tokenizer) {
        return ((List<?>) tokenizer.get("tokenizer.ggml.tokens").value()).size();
    }

    /**
     * Writes the model to {@code out} atomically.
     *
     * @param name the value of {@code general.name}
     * @param tokenizer the {@code tokenizer.*} metadata; its token count must equal {@code dims.vocab()}
     * @param listener told about progress, or null
     */
    public static void write(Architecture arch, ModelDims dims, String name, Map<String, GgufValue> tokenizer, long seed,
            LlamaFileType fileType, Path out, GgufQuantizer.Listener listener) throws IOException {
        if (vocabSize(tokenizer) != dims.vocab()) {
            throw new IllegalArgumentException("the tokenizer has " + vocabSize(tokenizer) + " tokens but the model's vocabulary is "
                    + dims.vocab());
        }
        GgufWriter w = new GgufWriter();
        putHyperparameters(w, arch, dims, name, fileType);
        w.putAll(tokenizer);
        List<TensorSpec> specs = arch.tensors(dims);
        List<TensorTypeChooser.TensorDescription> described = new ArrayList<>();
        for (TensorSpec s : specs) {
            described.add(new TensorTypeChooser.TensorDescription(s.name(), DType.F32, s.shape()));
        }
        List<DType> types = TensorTypeChooser.choose(described, fileType, false);
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec s = specs.get(i);
            DType type = types.get(i);
            long tensorSeed = seed * 0x9E3779B97F4A7C15L + s.name().hashCode();
            RowStreamedTensor body = new RowStreamedTensor(type, s.rows(), s.rowLength(),
                    (first, n, dst, at) -> fill(s, tensorSeed, first, n, dst, at),
                    listener == null ? null : listener::advanced);
            int index = i;
            w.addTensor(s.name(), type, s.shape(), ch -> {
                if (listener != null) {
                    listener.tensor(index, specs.size(), s.name(), DType.F32, type);
                }
                body.writeTo(ch);
            });
        }
        w.write(out);
    }

    private static void fill(TensorSpec s, long tensorSeed, long first, int rows, float[] dst, int at) {
        int len = (int) s.rowLength();
        switch (s.init()) {
            case ONES -> Arrays.fill(dst, at, at + rows * len, 1f);
            case ZEROS -> Arrays.fill(dst, at, at + rows * len, 0f);
            case NORMAL -> {
                for (int r = 0; r < rows; r++) {
                    // one generator per row, so the values do not depend on how rows are batched or split
                    SplittableRandom rng = new SplittableRandom(tensorSeed ^ ((first + r) * 0xBF58476D1CE4E5B9L));
                    for (int j = 0; j < len; j++) {
                        dst[at + r * len + j] = (float) (rng.nextGaussian() * STD);
                    }
                }
            }
        }
    }

    /**
     * Puts the {@code general.*} and {@code <arch>.*} keys of a model with {@code d} into {@code w}: the one key
     * set that {@code init} and the Hugging Face converter both write, so their files agree key for key.
     */
    public static void putHyperparameters(GgufWriter w, Architecture arch, ModelDims d, String name, LlamaFileType fileType) {
        String a = arch.ggufName();
        w.putString("general.architecture", a);
        w.putString("general.name", name);
        w.putUint32("general.alignment", GgufFile.DEFAULT_ALIGNMENT);
        w.putUint32("general.file_type", fileType.id());
        if (fileType.weightType().isQuantized()) {
            w.putUint32("general.quantization_version", 2);
        }
        w.putUint32(a + ".context_length", d.context());
        w.putUint32(a + ".embedding_length", d.dim());
        w.putUint32(a + ".block_count", d.layers());
        w.putUint32(a + ".feed_forward_length", d.ff());
        w.putUint32(a + ".attention.head_count", d.heads());
        w.putUint32(a + ".attention.head_count_kv", d.kvHeads());
        w.putFloat32(a + "." + arch.normEpsilonKey(), d.normEps());
        w.putUint32(a + ".vocab_size", d.vocab());
        if (arch.usesRope()) {
            w.putFloat32(a + ".rope.freq_base", d.ropeTheta());
            w.putUint32(a + ".rope.dimension_count", d.headDim());
        }
        if (d.headDim() * d.heads() != d.dim()) {
            w.putUint32(a + ".attention.key_length", d.headDim());
            w.putUint32(a + ".attention.value_length", d.headDim());
        }
        w.putAll(arch.fixedKeys());
    }
}
