package dev.jllm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.linalg.InterleavedMatrix;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each family, made by {@code jllm init} and then given random values in every tensor (norm weights and
 * biases included, so none is a no-op), against {@link ScalarReferenceDecoder}: logits of a batched
 * prefill and of token-by-token decoding, greedy decoding with the cache against full recomputation,
 * and quantized files against the reference run on their dequantized weights.
 */
class DecoderAgainstReferenceTest {
    private static final int[] PROMPT = {1, 17, 300, 42, 42, 511, 7, 260, 99, 3, 128, 64};

    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(Architecture.LLAMA, "plain"), Arguments.of(Architecture.QWEN2, "plain"),
                Arguments.of(Architecture.QWEN3, "plain"), Arguments.of(Architecture.GPT2, "plain"),
                Arguments.of(Architecture.LLAMA, "sliding-window"), Arguments.of(Architecture.LLAMA, "rope-freqs"),
                Arguments.of(Architecture.LLAMA, "mqa"), Arguments.of(Architecture.QWEN3, "mqa"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void f32LogitsEqualTheScalarReference(Architecture arch, String variant) throws Exception {
        Path file = randomModel(dir, arch, variant);
        try (GgufFile gguf = GgufFile.open(file); LoadedModel model = LoadedModel.open(file);
                WorkerPool pool = new WorkerPool(2)) {
            double[][] want = new ScalarReferenceDecoder(gguf).logits(PROMPT);
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            int vocab = model.config().vocabSize();
            float[] all = new float[PROMPT.length * vocab];
            try (KvCache cache = decoder.newCache(DType.F32, model.config().contextLength())) {
                decoder.forward(PROMPT, 0, PROMPT.length, 0, cache, all, true);
            }
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], all, t * vocab, 1e-4, arch + " " + variant + " batched, position " + t);
            }
            float[] one = new float[vocab];
            try (KvCache cache = decoder.newCache(DType.F32, model.config().contextLength())) {
                for (int t = 0; t < PROMPT.length; t++) {
                    decoder.forward(PROMPT, t, 1, t, cache, one);
                    assertClose(want[t], one, 0, 1e-4, arch + " " + variant + " one by one, position " + t);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void greedyWithTheCacheEqualsFullRecomputation(Architecture arch, String variant) throws Exception {
        Path file = randomModel(dir, arch, variant);
        try (LoadedModel model = LoadedModel.open(file); WorkerPool pool = new WorkerPool(2)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            int steps = 12;
            int[] cached;
            try (KvCache cache = decoder.newCache(DType.F32, model.config().contextLength())) {
                cached = Stories260KTest.greedy(decoder, cache, PROMPT, steps, true);
            }
            int[] sequence = java.util.Arrays.copyOf(PROMPT, PROMPT.length + steps);
            float[] logits = new float[model.config().vocabSize()];
            for (int s = 0; s < steps; s++) {
                try (KvCache fresh = decoder.newCache(DType.F32, model.config().contextLength())) {
                    decoder.forward(sequence, 0, PROMPT.length + s, 0, fresh, logits);
                }
                sequence[PROMPT.length + s] = Stories260KTest.argmax(logits);
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(sequence, PROMPT.length, sequence.length), cached);
        }
    }

    static Stream<Arguments> quantized() {
        return Stream.of(Arguments.of(LlamaFileType.MOSTLY_Q8_0, DType.F32, 1e-4),
                Arguments.of(LlamaFileType.MOSTLY_Q4_K_M, DType.F32, 1e-4),
                Arguments.of(LlamaFileType.parse("Q4_0"), DType.F32, 1e-4),
                Arguments.of(LlamaFileType.parse("F16"), DType.F16, 1e-2),
                Arguments.of(LlamaFileType.MOSTLY_Q8_0, DType.Q8_0, 5e-2));
    }

    /** Weights are used in their types with F32 activations, so only the cache's type may add error. */
    @ParameterizedTest(name = "{0} weights, {1} cache")
    @MethodSource("quantized")
    void quantizedModelsFollowTheirDequantizedForward(LlamaFileType type, DType cacheType, double bound)
            throws Exception {
        Path f32 = randomModel(dir, Architecture.QWEN2, "plain");
        Path q = dir.resolve("qwen2-" + type + ".gguf");
        GgufQuantizer.quantize(f32, q, type, false, null);
        try (GgufFile gguf = GgufFile.open(q); LoadedModel model = LoadedModel.open(q);
                WorkerPool pool = new WorkerPool(2)) {
            double[][] want = new ScalarReferenceDecoder(gguf).logits(PROMPT);
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            int vocab = model.config().vocabSize();
            float[] all = new float[PROMPT.length * vocab];
            try (KvCache cache = decoder.newCache(cacheType, model.config().contextLength())) {
                decoder.forward(PROMPT, 0, PROMPT.length, 0, cache, all, true);
            }
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], all, t * vocab, bound, type + " position " + t);
            }
        }
    }

    static Stream<Arguments> repackedTypes() {
        return Stream.of(Arguments.of(Architecture.QWEN2, LlamaFileType.MOSTLY_Q8_0),
                Arguments.of(Architecture.LLAMA, LlamaFileType.MOSTLY_Q8_0),
                Arguments.of(Architecture.LLAMA, LlamaFileType.parse("Q4_0")),
                Arguments.of(Architecture.QWEN2, LlamaFileType.parse("Q5_0")),
                Arguments.of(Architecture.QWEN2, LlamaFileType.parse("Q4_1")),
                Arguments.of(Architecture.LLAMA, LlamaFileType.parse("Q5_1")),
                Arguments.of(Architecture.LLAMA, LlamaFileType.parse("Q4_K_M")),
                Arguments.of(Architecture.LLAMA, LlamaFileType.parse("Q5_K_M")),
                Arguments.of(Architecture.QWEN2, LlamaFileType.parse("Q3_K_M")),
                Arguments.of(Architecture.LLAMA, LlamaFileType.parse("Q2_K")));
    }

    /**
     * Matrices repacked into interleaved copies: the prompt's forward (interleaved float kernels or the packed GEMM,
     * on the file's dequantized values) stays within float rounding of the scalar forward, and single-token steps,
     * which run the integer kernels on Q8_0-quantized activations as llama.cpp does, within those activations'
     * rounding. (That the rounding is llama.cpp's is checked by LlamaCppGreedyTest's repacked runs.)
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("repackedTypes")
    void repackedMatricesFollowTheDequantizedForward(Architecture arch, LlamaFileType type) throws Exception {
        // K-quants need rows of 256
        Path f32 = randomModel(dir, arch, type.name().contains("_K") ? "wide" : "plain");
        Path q = dir.resolve(arch + "-repacked-" + type + ".gguf");
        GgufQuantizer.quantize(f32, q, type, false, null);
        try (GgufFile gguf = GgufFile.open(q); LoadedModel model = LoadedModel.open(q);
                WorkerPool pool = new WorkerPool(2)) {
            double[][] want = new ScalarReferenceDecoder(gguf).logits(PROMPT);
            Decoder decoder = new Decoder(model.config(), model.weights(), pool, true);
            org.junit.jupiter.api.Assumptions.assumeTrue(InterleavedMatrix.runsOnThisMachine(),
                    "no interleaved kernels for this machine's vector width");
            assertTrue(decoder.interleaves(), "the tiny model's matrices have rows in sixteens");
            int vocab = model.config().vocabSize();
            float[] all = new float[PROMPT.length * vocab];
            try (KvCache cache = decoder.newCache(DType.F32, model.config().contextLength())) {
                decoder.forward(PROMPT, 0, PROMPT.length, 0, cache, all, true);
            }
            for (int t = 0; t < PROMPT.length; t++) {
                assertClose(want[t], all, t * vocab, 1e-4, type + " repacked, position " + t);
            }
            float[] logits = new float[vocab];
            try (KvCache cache = decoder.newCache(DType.F32, model.config().contextLength())) {
                for (int t = 0; t < PROMPT.length; t++) {
                    decoder.forward(PROMPT, t, 1, t, cache, logits);
                    assertClose(want[t], logits, 0, 5e-2, type + " repacked, step " + t);
                }
            }
        }
    }

    /** A tiny model of {@code arch} with every tensor random; cached per variant. */
    static synchronized Path randomModel(Path dir, Architecture arch, String variant) throws Exception {
        Path out = dir.resolve(arch + "-" + variant + ".gguf");
        if (java.nio.file.Files.exists(out)) {
            return out;
        }
        boolean mqa = variant.equals("mqa");
        boolean wide = variant.equals("wide");
        Path init = dir.resolve(arch + (mqa ? "-mqa" : wide ? "-wide" : "") + "-init.gguf");
        if (!java.nio.file.Files.exists(init)) {
            ModelDims tiny = ModelPreset.tiny(arch);
            // one key/value head shared by all query heads (multi-query attention); or rows of 256 for K-quants
            ModelDims dims = mqa ? new ModelDims(tiny.dim(), 2, tiny.heads(), 1, tiny.ff(), tiny.vocab(),
                    tiny.headDim(), tiny.context(), tiny.ropeTheta(), tiny.normEps(), tiny.tiedEmbeddings())
                    : wide ? new ModelDims(256, 2, 4, 2, 512, 512, 64, tiny.context(), tiny.ropeTheta(),
                    tiny.normEps(), tiny.tiedEmbeddings()) : tiny;
            RandomModelWriter.write(arch, dims, "test", PlaceholderVocabulary.metadata(512), 7,
                    LlamaFileType.ALL_F32, init, null);
        }
        try (GgufFile src = GgufFile.open(init)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            String prefix = src.getString("general.architecture") + ".";
            GgufWriter w = new GgufWriter();
            if (variant.equals("sliding-window")) {
                values.put(prefix + "attention.sliding_window", GgufValue.uint32(5));
            }
            w.putAll(values);
            SplittableRandom rng = new SplittableRandom(arch.ordinal() * 31L + variant.hashCode());
            for (GgufTensorInfo info : src.tensors()) {
                float[] v = new float[(int) info.elements()];
                boolean vector = info.shape().length == 1;
                for (int i = 0; i < v.length; i++) {
                    double g = rng.nextGaussian();
                    v[i] = (float) (info.name().endsWith("norm.weight") ? 1 + 0.2 * g : vector ? 0.1 * g : 0.08 * g);
                }
                w.addTensor(info.name(), Tensor.ofFloats(v, info.shape()));
            }
            if (variant.equals("rope-freqs")) {
                int pairs = (int) src.getLong(prefix + "rope.dimension_count") / 2;
                float[] divisors = new float[pairs];
                for (int i = 0; i < pairs; i++) {
                    divisors[i] = 1 + 7f * i / pairs;
                }
                w.addTensor("rope_freqs.weight", Tensor.ofFloats(divisors, pairs));
            }
            w.write(out);
        }
        return out;
    }

    static void assertClose(double[] want, float[] got, int offset, double bound, String what) {
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[offset + i]));
        }
        assertTrue(maxErr <= bound * maxAbs, what + ": max error " + maxErr + " vs max |logit| " + maxAbs
                + " (relative " + maxErr / maxAbs + ", bound " + bound + ")");
    }
}
