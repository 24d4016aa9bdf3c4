package dev.jllm.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * T5 models made by {@code jllm init --arch t5} and then given random values in every tensor (norms and the
 * position-bias tables included, so none is a no-op), in both feed-forward variants and with tied and separate
 * heads, against {@link ScalarReferenceT5}: the encoder output, the decoder's logits computed all at once and
 * token by token with the caches, and greedy decoding with the caches against full recomputation. The input is
 * long enough (40 tokens, 20 decoder positions) that the logarithmic buckets are used in both stacks.
 */
class T5AgainstReferenceTest {
    static final int[] INPUT = new int[40];
    static final int[] DECODER = {0, 17, 300, 42, 42, 511, 7, 260, 99, 3, 128, 64, 5, 9, 400, 401, 402, 33, 1, 250};

    static {
        for (int i = 0; i < INPUT.length; i++) {
            INPUT[i] = (i * 37 + 11) % 512;
        }
    }

    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of("gated", true), Arguments.of("gated", false), Arguments.of("relu", true),
                Arguments.of("relu", false), Arguments.of("gated-wide", false));
    }

    @ParameterizedTest(name = "{0}, tied {1}")
    @MethodSource("variants")
    void encoderOutputEqualsTheReference(String ffn, boolean tied) throws Exception {
        Path file = randomT5(dir, ffn, tied);
        try (GgufFile gguf = GgufFile.open(file); LoadedT5 loaded = LoadedT5.open(file);
                WorkerPool pool = new WorkerPool(2)) {
            assertEquals(ffn.startsWith("gated") ? T5Config.Mlp.GATED_GELU : T5Config.Mlp.RELU, loaded.config().mlp());
            assertEquals(tied, loaded.config().tiedHead());
            double[][] want = new ScalarReferenceT5(gguf).encode(INPUT);
            float[] got = new T5Model(loaded.config(), loaded.weights(), pool).encode(INPUT);
            int dim = loaded.config().dim();
            for (int t = 0; t < INPUT.length; t++) {
                assertClose(want[t], got, t * dim, 1e-4, ffn + " tied " + tied + " encoder row " + t);
            }
        }
    }

    @ParameterizedTest(name = "{0}, tied {1}")
    @MethodSource("variants")
    void decoderLogitsEqualTheReference(String ffn, boolean tied) throws Exception {
        Path file = randomT5(dir, ffn, tied);
        try (GgufFile gguf = GgufFile.open(file); LoadedT5 loaded = LoadedT5.open(file);
                WorkerPool pool = new WorkerPool(2)) {
            double[][] want = new ScalarReferenceT5(gguf).logits(INPUT, DECODER);
            T5Model model = new T5Model(loaded.config(), loaded.weights(), pool);
            int vocab = loaded.config().vocabSize();
            int n = DECODER.length;
            float[] all = new float[n * vocab];
            try (EncodedInput input = model.encodeForDecoding(INPUT, DType.F32);
                    KvCache cache = model.newDecoderCache(DType.F32, 64)) {
                model.decode(DECODER, 0, n, 0, cache, input, all, true);
                for (int t = 0; t < n; t++) {
                    assertClose(want[t], all, t * vocab, 1e-4, ffn + " tied " + tied + " all at once, position " + t);
                }
            }
            float[] one = new float[vocab];
            try (EncodedInput input = model.encodeForDecoding(INPUT, DType.F32);
                    KvCache cache = model.newDecoderCache(DType.F32, 64)) {
                for (int t = 0; t < n; t++) {
                    model.decode(DECODER, t, 1, t, cache, input, one, false);
                    assertClose(want[t], one, 0, 1e-4, ffn + " tied " + tied + " one by one, position " + t);
                }
            }
        }
    }

    /** The caches do not depend on the feed-forward variant or the head, so two of the four suffice. */
    @ParameterizedTest(name = "{0}, tied {1}")
    @CsvSource({"gated, true", "relu, false"})
    void greedyWithTheCachesEqualsFullRecomputation(String ffn, boolean tied) throws Exception {
        Path file = randomT5(dir, ffn, tied);
        try (LoadedT5 loaded = LoadedT5.open(file); WorkerPool pool = new WorkerPool(2)) {
            T5Model model = new T5Model(loaded.config(), loaded.weights(), pool);
            int vocab = loaded.config().vocabSize();
            int steps = 14;
            float[] logits = new float[vocab];
            int[] cached = new int[steps + 1];
            cached[0] = loaded.config().decoderStartId();
            try (EncodedInput input = model.encodeForDecoding(INPUT, DType.F32);
                    KvCache cache = model.newDecoderCache(DType.F32, steps + 1)) {
                for (int s = 0; s < steps; s++) {
                    model.decode(cached, s, 1, s, cache, input, logits, false);
                    cached[s + 1] = argmax(logits);
                }
            }
            int[] recomputed = new int[steps + 1];
            recomputed[0] = cached[0];
            for (int s = 0; s < steps; s++) {
                // nothing carried over: a fresh encoder pass, cross-attention keys and self-attention cache
                try (EncodedInput input = model.encodeForDecoding(INPUT, DType.F32);
                        KvCache cache = model.newDecoderCache(DType.F32, steps + 1)) {
                    model.decode(recomputed, 0, s + 1, 0, cache, input, logits, false);
                }
                recomputed[s + 1] = argmax(logits);
            }
            assertArrayEquals(recomputed, cached);
            assertTrue(Arrays.stream(cached).distinct().count() > 2, "the random model does not just repeat a token: "
                    + Arrays.toString(cached));
        }
    }

    /** Weights are used in their quantized types with F32 activations, so the reference on their dequantized values holds. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0"})
    void quantizedFilesFollowTheirDequantizedForward(String type) throws Exception {
        Path q = dir.resolve("t5-" + type + ".gguf");
        GgufQuantizer.quantize(randomT5(dir, "gated", false), q, LlamaFileType.parse(type), false, null);
        try (GgufFile gguf = GgufFile.open(q); LoadedT5 loaded = LoadedT5.open(q); WorkerPool pool = new WorkerPool(2)) {
            assertTrue(loaded.weights().decoder().get(0).cq().type().isQuantized(), "the file holds quantized matrices");
            double[][] want = new ScalarReferenceT5(gguf).logits(INPUT, DECODER);
            T5Model model = new T5Model(loaded.config(), loaded.weights(), pool);
            int vocab = loaded.config().vocabSize();
            float[] all = new float[DECODER.length * vocab];
            try (EncodedInput input = model.encodeForDecoding(INPUT, DType.F32);
                    KvCache cache = model.newDecoderCache(DType.F32, DECODER.length)) {
                model.decode(DECODER, 0, DECODER.length, 0, cache, input, all, true);
            }
            for (int t = 0; t < DECODER.length; t++) {
                assertClose(want[t], all, t * vocab, 1e-4, type + " position " + t);
            }
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * A tiny T5 ({@code jllm init}'s tiny preset: 2 encoder and 2 decoder blocks, width 128, 4 heads) with every
     * tensor random; the ReLU variant drops the gates, the untied one adds an {@code output.weight}. Cached per variant.
     */
    static synchronized Path randomT5(Path dir, String ffn, boolean tied) throws Exception {
        Path out = dir.resolve("t5-" + ffn + "-" + (tied ? "tied" : "untied") + ".gguf");
        if (Files.exists(out)) {
            return out;
        }
        // "-wide": heads of 40 (so the attention width 160 is not the model width 128) and one decoder block for two
        boolean wide = ffn.endsWith("-wide");
        Path init = dir.resolve(wide ? "t5-wide-init.gguf" : "t5-init.gguf");
        if (!Files.exists(init)) {
            RandomModelWriter.write(Architecture.T5, wide ? new ModelDims(128, 2, 4, 4, 256, 512, 40, 256, 10000f, 1e-6f,
                    true) : ModelPreset.tiny(Architecture.T5), "test", PlaceholderVocabulary.metadata(512), 7,
                    LlamaFileType.ALL_F32, init, null);
        }
        try (GgufFile src = GgufFile.open(init)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            if (wide) {
                values.put("t5.decoder_block_count", GgufValue.uint32(1));
            }
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            SplittableRandom rng = new SplittableRandom(ffn.hashCode() * 31L + (tied ? 1 : 2));
            for (GgufTensorInfo info : src.tensors()) {
                if ((ffn.equals("relu") && info.name().contains("ffn_gate")) || (wide && info.name().startsWith("dec.blk.1."))) {
                    continue;
                }
                w.addTensor(info.name(), Tensor.ofFloats(random(rng, info.name(), (int) info.elements()), info.shape()));
            }
            if (!tied && src.findTensor("output.weight").isEmpty()) {
                long[] shape = src.tensor("token_embd.weight").shape();
                w.addTensor("output.weight", Tensor.ofFloats(random(rng, "output.weight", (int) (shape[0] * shape[1])),
                        shape));
            }
            w.write(out);
        }
        return out;
    }

    private static float[] random(SplittableRandom rng, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            v[i] = (float) (name.endsWith("norm.weight") ? 1 + 0.2 * g : name.contains("rel_b") ? 0.5 * g : 0.08 * g);
        }
        return v;
    }

    static void assertClose(double[] want, float[] got, int offset, double bound, String what) {
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[offset + i]));
        }
        assertTrue(maxErr <= bound * maxAbs, what + ": max error " + maxErr + " vs max |value| " + maxAbs
                + " (relative " + maxErr / maxAbs + ", bound " + bound + ")");
    }
}
