package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.GradientCheck.check;
import static dev.jllm.core.autograd.GradientCheck.param;

import dev.jllm.core.ops.RopeTable;
import dev.jllm.core.parallel.WorkerPool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Norms, RoPE, attention, activations, softmax and cross-entropy against finite differences. */
class LayerGradientTest {
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(3);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Test
    void rmsNorm() {
        Random rnd = new Random(31);
        Variable x = param(rnd, 2, 7, 19);
        Variable w = param(rnd, 1, 19);
        check(pool, "rmsNorm", new Variable[] {x, w}, (t, in) -> Norms.rmsNorm(t, in[0], in[1], 1e-5f),
                in -> DoubleReference.rmsNorm(in[0], in[1], 19, 1e-5), 1000, 32);
        Variable tall = param(rnd, 1, 300, 70);
        Variable w2 = param(rnd, 1, 70);
        check(pool, "tall rmsNorm", new Variable[] {tall, w2}, (t, in) -> Norms.rmsNorm(t, in[0], in[1], 1e-6f),
                in -> DoubleReference.rmsNorm(in[0], in[1], 70, 1e-6), 150, 33);
    }

    @Test
    void layerNormWithAndWithoutBias() {
        Random rnd = new Random(34);
        Variable x = param(rnd, 2, 7, 19);
        Variable w = param(rnd, 1, 19);
        Variable b = param(rnd, 1, 19);
        check(pool, "layerNorm", new Variable[] {x, w, b}, (t, in) -> Norms.layerNorm(t, in[0], in[1], in[2], 1e-5f),
                in -> DoubleReference.layerNorm(in[0], in[1], in[2], 19, 1e-5), 1000, 35);
        check(pool, "layerNorm without bias", new Variable[] {x, w},
                (t, in) -> Norms.layerNorm(t, in[0], in[1], null, 1e-5f),
                in -> DoubleReference.layerNorm(in[0], in[1], null, 19, 1e-5), 1000, 36);
    }

    @Test
    void ropeInBothLayoutsWithPartialRotary() {
        Random rnd = new Random(37);
        int heads = 3;
        int headDim = 10;
        int[] positions = {5, 0, 17, 3, 3, 29, 1};
        for (int rotary : new int[] {10, 6}) {
            RopeTable table = new RopeTable(rotary, 32, 10000);
            for (RotaryEmbedding.Layout layout : RotaryEmbedding.Layout.values()) {
                Variable x = param(rnd, 1, positions.length, heads * headDim);
                boolean adjacent = layout == RotaryEmbedding.Layout.ADJACENT;
                check(pool, "rope " + layout + " rotary " + rotary, new Variable[] {x},
                        (t, in) -> RotaryEmbedding.rope(t, in[0], heads, headDim, table, positions, layout),
                        in -> DoubleReference.rope(in[0], heads, headDim, table, positions, adjacent), 1000, 38);
            }
        }
    }

    @Test
    void attentionWithGroupedHeadsBatchesAndWindows() {
        Random rnd = new Random(41);
        attention(rnd, 4, 2, 5, 9, 2, 0, 1000);
        attention(rnd, 3, 3, 4, 9, 1, 4, 1000);
        attention(rnd, 2, 1, 3, 7, 3, 1, 1000);
        // longer than one query block: blocks, their key ranges and the window's left edge
        attention(rnd, 2, 1, 3, 70, 1, 0, 120);
        attention(rnd, 2, 2, 4, 70, 2, 20, 120);
    }

    private static void attention(Random rnd, int heads, int kvHeads, int d, int seqLen, int batch, int window,
            int samples) {
        int n = seqLen * batch;
        Variable q = param(rnd, 1, n, heads * d);
        Variable k = param(rnd, 1, n, kvHeads * d);
        Variable v = param(rnd, 1, n, kvHeads * d);
        check(pool, "attention " + heads + "/" + kvHeads + "×" + d + " seq " + seqLen + "×" + batch + " window "
                        + window, new Variable[] {q, k, v},
                (t, in) -> Attention.causal(t, in[0], in[1], in[2], heads, kvHeads, d, seqLen, window),
                in -> DoubleReference.attention(in[0], in[1], in[2], n, heads, kvHeads, d, seqLen, window), samples, 42);
    }

    @Test
    void activations() {
        Random rnd = new Random(43);
        // 5 × 17 = 85 elements: vector body and scalar tail; σ = 3 reaches the flat ends
        Variable x = param(rnd, 3, 5, 17);
        Variable up = param(rnd, 1, 5, 17);
        check(pool, "silu", new Variable[] {x}, (t, in) -> Activation.silu(t, in[0]),
                in -> DoubleReference.silu(in[0]), 1000, 44);
        check(pool, "gelu", new Variable[] {x}, (t, in) -> Activation.gelu(t, in[0]),
                in -> DoubleReference.gelu(in[0]), 1000, 45);
        check(pool, "swiglu", new Variable[] {x, up}, (t, in) -> Activation.swiglu(t, in[0], in[1]),
                in -> DoubleReference.swiglu(in[0], in[1]), 1000, 46);
        Variable big = param(rnd, 3, 70, 300);
        check(pool, "large gelu", new Variable[] {big}, (t, in) -> Activation.gelu(t, in[0]),
                in -> DoubleReference.gelu(in[0]), 100, 47);
    }

    @Test
    void softmaxRows() {
        Random rnd = new Random(48);
        Variable x = param(rnd, 2, 6, 23);
        check(pool, "softmax", new Variable[] {x}, (t, in) -> Activation.softmax(t, in[0]),
                in -> DoubleReference.softmax(in[0], 23), 1000, 49);
    }

    @Test
    void crossEntropyWithIgnoredTargets() {
        Random rnd = new Random(50);
        Variable logits = param(rnd, 3, 9, 23);
        int[] targets = {4, -100, 22, 0, 7, -100, 7, 13, 1};
        check(pool, "crossEntropy", new Variable[] {logits}, (t, in) -> CrossEntropy.loss(t, in[0], targets, -100),
                in -> new double[] {DoubleReference.crossEntropy(in[0], 23, targets, -100)}, 1000, 51);
        // large logits: the stable log-softmax must not overflow
        Variable hot = Variable.parameter(GradientCheck.gaussian(rnd, 3 * 40, 30), 3, 40);
        int[] t3 = {39, 0, 5};
        check(pool, "crossEntropy hot", new Variable[] {hot}, (t, in) -> CrossEntropy.loss(t, in[0], t3, -1),
                in -> new double[] {DoubleReference.crossEntropy(in[0], 40, t3, -1)}, 1000, 52);
    }

    @Test
    void dropoutMatchesItsMask() {
        Random rnd = new Random(53);
        Variable x = param(rnd, 1, 9, 31);
        float p = 0.3f;
        long seed = 1234;
        int threshold = (int) Math.ceil(p * (double) (1 << 24));
        check(pool, "dropout", new Variable[] {x}, (t, in) -> Dropout.apply(t, in[0], p, seed),
                in -> {
                    double[] y = new double[in[0].length];
                    for (int i = 0; i < y.length; i++) {
                        y[i] = Dropout.kept(seed, i, threshold) ? in[0][i] / (1 - (double) p) : 0;
                    }
                    return y;
                }, 1000, 54);
    }

    @Test
    void crossEntropyWithEveryTargetIgnoredIsZeroWithoutGradient() {
        Variable logits = param(new Random(55), 1, 2, 5);
        Tape tape = new Tape(pool);
        Variable loss = CrossEntropy.loss(tape, logits, new int[] {-1, -1}, -1);
        assertEquals(0f, loss.item());
        assertEquals(0, tape.recordedSteps());
        assertNull(logits.grad());
    }

    @Test
    void badShapesAndIndicesAreRejectedByName() {
        Random rnd = new Random(56);
        Tape tape = new Tape(pool);
        Variable x = param(rnd, 1, 6, 8);
        RopeTable table = new RopeTable(4, 10, 10000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.loss(tape, x, new int[] {0, 1, 2, 8, 0, 0}, -100));
        assertTrue(e.getMessage().contains("target 8 of row 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.loss(tape, x, new int[3], -100));
        e = assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.rope(tape, x, 2, 4, table,
                new int[] {0, 1, 2, 3, 4, 10}, RotaryEmbedding.Layout.HALVES));
        assertTrue(e.getMessage().contains("position 10 of row 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.rope(tape, x, 3, 4, table,
                new int[6], RotaryEmbedding.Layout.HALVES));
        e = assertThrows(IllegalArgumentException.class, () -> Attention.causal(tape, x, x, x, 3, 2, 4, 6, 0));
        assertTrue(e.getMessage().contains("kvHeads dividing heads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Attention.causal(tape, x, x, x, 2, 2, 4, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> Attention.causal(tape, x, x, x, 2, 2, 4, 6, -1));
        assertThrows(IllegalArgumentException.class, () -> Norms.rmsNorm(tape, x, param(rnd, 1, 7), 1e-5f));
        assertThrows(IllegalArgumentException.class,
                () -> Norms.layerNorm(tape, x, param(rnd, 1, 8), param(rnd, 1, 2, 8), 1e-5f));
        assertThrows(IllegalArgumentException.class, () -> Activation.swiglu(tape, x, param(rnd, 1, 8, 6)));
    }
}
