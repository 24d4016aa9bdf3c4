package dev.jllm.runtime.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.model.encoder.Encoder;
import dev.jllm.model.encoder.EncoderBatch;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedder against the encoder run on one text at a time with pooling and normalisation written out
 * here; batching, sorting and truncation must not change a vector.
 */
class EmbedderTest {
    private static final List<String> TEXTS = List.of("hello world", "", "the cat and the dog!",
            "你好, 世界 🙂", "a".repeat(3) + " b c d e f g h i j k l m n o p q r s t u v w x y z ".repeat(4),
            "model 42", "[CLS] hello [SEP] world");

    @TempDir
    static Path dir;
    static LoadedEncoder model;
    static WorkerPool pool;

    @BeforeAll
    static void open() throws Exception {
        model = LoadedEncoder.open(RandomBertFolder.create(dir));
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void close() {
        model.close();
        pool.close();
    }

    private static final java.util.Map<String, float[]> STATES = new java.util.HashMap<>();

    /** The vector of one id sequence, encoded alone (once per sequence), pooled and normalised here. */
    private static float[] expected(int[] ids, Pooling pooling, boolean normalize) {
        float[] states = STATES.computeIfAbsent(Arrays.toString(ids), k -> new Encoder(model.config(),
                model.weights(), pool).forward(new EncoderBatch().add(ids, null)));
        int dim = model.config().dim();
        double[] v = new double[dim];
        for (int i = 0; i < dim; i++) {
            switch (pooling) {
                case CLS -> v[i] = states[i];
                case LAST -> v[i] = states[(ids.length - 1) * dim + i];
                case MEAN -> {
                    for (int t = 0; t < ids.length; t++) {
                        v[i] += states[t * dim + i] / ids.length;
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        double norm = normalize ? Math.sqrt(Arrays.stream(v).map(x -> x * x).sum()) : 1;
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }

    @Test
    void batchedVectorsEqualOneTextAtATime() {
        for (Pooling pooling : Pooling.values()) {
            for (boolean normalize : new boolean[] {false, true}) {
                for (int batch : new int[] {1, 3, 32}) {
                    Embedder embedder = Embedder.of(model, pool, new Embedder.Options(pooling, normalize, batch,
                            RandomBertFolder.POSITIONS));
                    float[][] got = embedder.embed(TEXTS);
                    assertEquals(TEXTS.size(), got.length);
                    for (int i = 0; i < TEXTS.size(); i++) {
                        float[] want = expected(embedder.tokenize(TEXTS.get(i)), pooling, normalize);
                        assertClose(want, got[i], pooling + " normalize " + normalize + " batch " + batch + " text " + i);
                        if (normalize) {
                            double n = 0;
                            for (float x : got[i]) {
                                n += x * x;
                            }
                            assertEquals(1, n, 1e-5);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aBatchPastTheTokenBudgetIsSplitWithoutChangingVectors() {
        Embedder embedder = Embedder.of(model, pool, new Embedder.Options(Pooling.MEAN, false, 1000,
                RandomBertFolder.POSITIONS));
        List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 2 * Embedder.BATCH_TOKENS / RandomBertFolder.POSITIONS + 3; i++) {
            texts.add("hello world the cat " + i + " " + "dog model ".repeat(40)); // cut to 64 tokens
        }
        float[][] got = embedder.embed(texts);
        for (int i = 0; i < texts.size(); i += 37) {
            assertClose(expected(embedder.tokenize(texts.get(i)), Pooling.MEAN, false), got[i], "text " + i);
        }
    }

    @Test
    void longTextsKeepTheirStartAndTheClosingSep() {
        Embedder embedder = Embedder.of(model, pool);
        var tokenizer = model.tokenizer().orElseThrow();
        String text = "hello world ".repeat(50);
        int[] full = tokenizer.encode(text, true);
        assertTrue(full.length > RandomBertFolder.POSITIONS);
        int[] ids = embedder.tokenize(text);
        assertEquals(RandomBertFolder.POSITIONS, ids.length);
        int cls = tokenizer.id("[CLS]");
        int sep = tokenizer.id("[SEP]");
        int[] want = new int[RandomBertFolder.POSITIONS];
        want[0] = cls;
        System.arraycopy(tokenizer.encode(text, false), 0, want, 1, want.length - 2);
        want[want.length - 1] = sep;
        assertArrayEquals(want, ids);
        assertClose(expected(want, model.config().pooling(), model.normalizes()), embedder.embed(text), "long text");
    }

    @Test
    void theModelsPoolingIsTheDefault() {
        Embedder embedder = Embedder.of(model, pool);
        assertEquals(Pooling.CLS, embedder.options().pooling(), "init writes pooling_type 2 (CLS) into the folder");
        assertEquals(model.config().dim(), embedder.dimension());
    }

    @Test
    void badOptionsAndInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Embedder.Options(Pooling.MEAN, false, 0, 8));
        var e = assertThrows(IllegalArgumentException.class, () -> Embedder.of(model, pool,
                new Embedder.Options(Pooling.MEAN, false, 1, RandomBertFolder.POSITIONS + 1)));
        assertTrue(e.getMessage().contains("positions"), e.getMessage());
        Embedder embedder = Embedder.of(model, pool);
        assertThrows(IllegalArgumentException.class, () -> embedder.embedIds(List.of(new int[0])));
        e = assertThrows(IllegalArgumentException.class, () -> embedder.embedIds(List.of(new int[] {2, 9999, 3})));
        assertTrue(e.getMessage().contains("9999"), e.getMessage());
    }

    private static void assertClose(float[] want, float[] got, String what) {
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
        }
        assertTrue(maxErr <= 1e-5 * maxAbs, what + ": max error " + maxErr + " of max " + maxAbs);
    }
}
