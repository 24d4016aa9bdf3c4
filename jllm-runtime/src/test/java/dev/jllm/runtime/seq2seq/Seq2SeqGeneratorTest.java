package dev.jllm.runtime.seq2seq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.t5.EncodedInput;
import dev.jllm.model.t5.LoadedT5;
import dev.jllm.model.t5.T5Model;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopReason;
import dev.jllm.runtime.stop.StopTokens;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Seq2SeqGenerator} on a random tiny T5: greedy output against argmax over logits recomputed from
 * scratch for every prefix, end tokens, token and decoder-length limits, and seeded sampling.
 */
class Seq2SeqGeneratorTest {
    private static final int[] INPUT = {5, 300, 41, 77, 2};

    @TempDir
    static Path dir;
    static LoadedT5 loaded;
    static WorkerPool pool;
    static T5Model model;

    @BeforeAll
    static void model() throws Exception {
        Path init = dir.resolve("init.gguf");
        RandomModelWriter.write(Architecture.T5, ModelPreset.tiny(Architecture.T5), "test",
                PlaceholderVocabulary.metadata(512), 3, LlamaFileType.ALL_F32, init, null);
        Path file = dir.resolve("t5.gguf");
        try (GgufFile src = GgufFile.open(init)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            SplittableRandom rng = new SplittableRandom(11);
            for (GgufTensorInfo info : src.tensors()) {
                float[] v = new float[(int) info.elements()];
                for (int i = 0; i < v.length; i++) {
                    double g = rng.nextGaussian();
                    v[i] = (float) (info.name().endsWith("norm.weight") ? 1 + 0.2 * g : 0.08 * g);
                }
                w.addTensor(info.name(), Tensor.ofFloats(v, info.shape()));
            }
            w.write(file);
        }
        loaded = LoadedT5.open(file);
        pool = new WorkerPool(2);
        model = new T5Model(loaded.config(), loaded.weights(), pool);
    }

    @AfterAll
    static void close() {
        pool.close();
        loaded.close();
    }

    @Test
    void greedyEqualsArgmaxOfLogitsRecomputedForEveryPrefix() {
        int steps = 10;
        Seq2SeqGenerator.Result r = new Seq2SeqGenerator(model, DType.F32, 64).generate(INPUT,
                SamplingParams.greedy(), StopTokens.none(), List.of(), steps, null, new Seq2SeqGenerator.Listener() {
                });
        int[] want = new int[steps];
        int[] prefix = new int[steps + 1];
        prefix[0] = loaded.config().decoderStartId();
        float[] logits = new float[loaded.config().vocabSize()];
        for (int s = 0; s < steps; s++) {
            try (EncodedInput in = model.encodeForDecoding(INPUT, DType.F32);
                    KvCache cache = model.newDecoderCache(DType.F32, steps + 1)) {
                model.decode(prefix, 0, s + 1, 0, cache, in, logits, false);
            }
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                best = logits[i] > logits[best] ? i : best;
            }
            want[s] = best;
            prefix[s + 1] = best;
        }
        assertArrayEquals(want, r.tokens());
        assertEquals(StopReason.LENGTH, r.finishReason());
        assertEquals(INPUT.length, r.timings().prefillTokens());
        assertEquals(steps, r.timings().decodeTokens());
    }

    @Test
    void anEndTokenStopsAndIsKept() {
        Seq2SeqGenerator g = new Seq2SeqGenerator(model, DType.F32, 64);
        int[] free = g.generate(INPUT, SamplingParams.greedy(), StopTokens.none(), List.of(), 12, null,
                new Seq2SeqGenerator.Listener() {
                }).tokens();
        int at = 0; // the last position whose token is new, so the stop cannot trigger earlier
        for (int i = 1; i < free.length; i++) {
            at = contains(free, i, free[i]) ? at : i;
        }
        assertTrue(at > 0, java.util.Arrays.toString(free));
        List<Integer> streamed = new ArrayList<>();
        Seq2SeqGenerator.Result r = g.generate(INPUT, SamplingParams.greedy(), StopTokens.of(free[at]), List.of(), 12,
                null, new Seq2SeqGenerator.Listener() {
                    @Override
                    public void token(int id) {
                        streamed.add(id);
                    }
                });
        assertArrayEquals(java.util.Arrays.copyOf(free, at + 1), r.tokens());
        assertEquals(StopReason.STOP, r.finishReason());
        assertEquals(at + 1, streamed.size());
    }

    private static boolean contains(int[] a, int before, int v) {
        for (int i = 0; i < before; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theDecoderLengthBoundsAnUnlimitedGeneration() {
        Seq2SeqGenerator.Result r = new Seq2SeqGenerator(model, DType.F16, 5).generate(INPUT, SamplingParams.greedy(),
                StopTokens.none(), List.of(), -1, null, new Seq2SeqGenerator.Listener() {
                });
        assertEquals(5, r.tokens().length);
        assertEquals(StopReason.LENGTH, r.finishReason());
    }

    @Test
    void seededSamplingRepeatsItselfAndStreamsTheDecodedText() {
        Tokenizer tokenizer = loaded.tokenizer().orElseThrow();
        SamplingParams params = SamplingParams.builder().temperature(1.5f).topK(0).topP(1f).minP(0f).seed(42).build();
        Seq2SeqGenerator g = new Seq2SeqGenerator(model, DType.F32, 64);
        StringBuilder streamed = new StringBuilder();
        Seq2SeqGenerator.Result a = g.generate(INPUT, params, StopTokens.none(), List.of(), 16, tokenizer,
                new Seq2SeqGenerator.Listener() {
                    @Override
                    public void text(String piece) {
                        streamed.append(piece);
                    }
                });
        Seq2SeqGenerator.Result b = g.generate(INPUT, params, StopTokens.none(), List.of(), 16, tokenizer,
                new Seq2SeqGenerator.Listener() {
                });
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(tokenizer.decode(a.tokens()), a.text());
        assertEquals(a.text(), streamed.toString());
        assertFalse(a.text().isEmpty());
        int[] greedy = g.generate(INPUT, SamplingParams.greedy(), StopTokens.none(), List.of(), 16, null,
                new Seq2SeqGenerator.Listener() {
                }).tokens();
        assertNotEquals(java.util.Arrays.toString(greedy), java.util.Arrays.toString(a.tokens()),
                "sampling at temperature 1.5 over 512 tokens picks something else than the argmax somewhere");
    }
}
