package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.GradientCheck.check;
import static dev.jllm.core.autograd.GradientCheck.param;
import static dev.jllm.core.autograd.GradientCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Matrix products (trainable and frozen quantized weights), embeddings and element-wise arithmetic. */
class LinearGradientTest {
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
    void matmulWithEveryTransposeCombination() {
        Random rnd = new Random(1);
        int m = 5;
        int n = 7;
        int k = 9;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Variable a = param(rnd, 1, ta ? k : m, ta ? m : k);
                Variable b = param(rnd, 1, tb ? n : k, tb ? k : n);
                check(pool, "matmul ta=" + ta + " tb=" + tb, new Variable[] {a, b},
                        (t, in) -> Linear.matmul(t, in[0], in[1], ta, tb),
                        in -> DoubleReference.matmul(in[0], in[1], m, n, k, ta, tb), 1000, 2);
            }
        }
    }

    @Test
    void linearOverRowsOfAThreeDimensionalInput() {
        Random rnd = new Random(3);
        Variable x = param(rnd, 1, 3, 4, 11);
        Variable w = param(rnd, 0.3, 6, 11);
        check(pool, "linear", new Variable[] {x, w}, (t, in) -> Linear.linear(t, in[0], in[1]),
                in -> DoubleReference.linear(in[0], in[1], 12, 11, 6), 1000, 4);
    }

    @Test
    void largeLinearCrossesSgemmPanels() {
        Random rnd = new Random(5);
        // 300 > KC = 256 in every dimension of the products of the backward
        Variable x = param(rnd, 1, 13, 300);
        Variable w = param(rnd, 0.1, 270, 300);
        check(pool, "large linear", new Variable[] {x, w}, (t, in) -> Linear.linear(t, in[0], in[1]),
                in -> DoubleReference.linear(in[0], in[1], 13, 300, 270), 60, 6);
    }

    @Test
    void frozenQuantizedWeightGivesInputGradientByDifferences() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            Tensor w = quantized(arena, DType.Q8_0, GradientCheck.gaussian(rnd, 9 * 64, 0.2), 9, 64);
            double[] dequantized = toDouble(dequantize(w));
            Variable x = param(rnd, 1, 5, 64);
            check(pool, "frozen Q8_0 linear", new Variable[] {x}, (t, in) -> Linear.linear(t, in[0], w),
                    in -> DoubleReference.linear(in[0], dequantized, 5, 64, 9), 1000, 8);
        }
    }

    @Test
    void frozenQuantizedWeightMatchesFloatMatmulWithItsDequantizedRows() {
        Random rnd = new Random(9);
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_K}) {
            try (Arena arena = Arena.ofShared()) {
                int m = 300; // two panels of the backward's dequantized rows
                int k = 512;
                int n = 7;
                Tensor w = quantized(arena, type, GradientCheck.gaussian(rnd, m * k, 0.1), m, k);
                Variable asFloat = Variable.constant(dequantize(w), m, k);
                Variable x = param(rnd, 1, n, k);
                float[] r = GradientCheck.gaussian(rnd, n * m, 1);
                GradientCheck.Result frozen = GradientCheck.run(pool, new Variable[] {x},
                        (t, in) -> Linear.linear(t, in[0], w), r);
                GradientCheck.Result dense = GradientCheck.run(pool, new Variable[] {x},
                        (t, in) -> Linear.linear(t, in[0], asFloat), r);
                // the same micro-kernel sums in the same order (dX panels are Sgemm's depth): bit for bit
                assertArrayEquals(dense.value(), frozen.value(), type + " values");
                assertArrayEquals(dense.grads()[0], frozen.grads()[0], type + " dX");
            }
        }
    }

    @Test
    void embeddingAccumulatesRepeatedIds() {
        Random rnd = new Random(11);
        Variable table = param(rnd, 1, 11, 13);
        int[] ids = {3, 0, 10, 3, 7, 3, 1};
        check(pool, "embedding", new Variable[] {table}, (t, in) -> Embedding.lookup(t, in[0], ids),
                in -> DoubleReference.embedding(in[0], 13, ids), 1000, 12);
        // a table wider than one column block of the backward
        Variable wide = param(rnd, 1, 5, 150);
        int[] few = {4, 4, 0};
        check(pool, "wide embedding", new Variable[] {wide}, (t, in) -> Embedding.lookup(t, in[0], few),
                in -> DoubleReference.embedding(in[0], 150, few), 1000, 13);
    }

    @Test
    void frozenEmbeddingDequantizesRows() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            Tensor table = quantized(arena, DType.Q8_0, GradientCheck.gaussian(rnd, 6 * 32, 1), 6, 32);
            float[] rows = dequantize(table);
            Tape tape = new Tape(pool);
            Variable y = Embedding.lookup(tape, table, new int[] {5, 2});
            assertTrue(!y.requiresGrad());
            for (int i = 0; i < 32; i++) {
                assertEquals(rows[5 * 32 + i], y.value()[i]);
                assertEquals(rows[2 * 32 + i], y.value()[32 + i]);
            }
            assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(tape, table, new int[] {6}));
        }
    }

    @Test
    void addAndMulSameShapeAndBroadcastRow() {
        Random rnd = new Random(15);
        Variable a = param(rnd, 1, 7, 19);
        Variable b = param(rnd, 1, 7, 19);
        Variable row = param(rnd, 1, 19);
        check(pool, "add", new Variable[] {a, b}, (t, in) -> Arithmetic.add(t, in[0], in[1]),
                in -> DoubleReference.add(in[0], in[1]), 1000, 16);
        check(pool, "add row", new Variable[] {a, row}, (t, in) -> Arithmetic.add(t, in[0], in[1]),
                in -> DoubleReference.add(in[0], in[1]), 1000, 17);
        check(pool, "mul", new Variable[] {a, b}, (t, in) -> Arithmetic.mul(t, in[0], in[1]),
                in -> DoubleReference.mul(in[0], in[1]), 1000, 18);
        check(pool, "mul row", new Variable[] {a, row}, (t, in) -> Arithmetic.mul(t, in[0], in[1]),
                in -> DoubleReference.mul(in[0], in[1]), 1000, 19);
        check(pool, "scale", new Variable[] {a}, (t, in) -> Arithmetic.scale(t, in[0], -2.5f),
                in -> DoubleReference.scale(in[0], -2.5), 1000, 20);
        // one variable on both sides: both gradients add up
        check(pool, "x∘x + x", new Variable[] {a},
                (t, in) -> Arithmetic.add(t, Arithmetic.mul(t, in[0], in[0]), in[0]),
                in -> DoubleReference.add(DoubleReference.mul(in[0], in[0]), in[0]), 1000, 21);
        // a broadcast row over many rows: its gradient is a column sum over several tasks
        Variable tall = param(rnd, 1, 400, 130);
        Variable bias = param(rnd, 1, 130);
        check(pool, "tall mul row", new Variable[] {tall, bias}, (t, in) -> Arithmetic.mul(t, in[0], in[1]),
                in -> DoubleReference.mul(in[0], in[1]), 200, 22);
    }

    @Test
    void columnSlicesAndConcatenation() {
        Random rnd = new Random(24);
        Variable qkv = param(rnd, 1, 5, 21);
        check(pool, "slice", new Variable[] {qkv}, (t, in) -> Columns.slice(t, in[0], 7, 16),
                in -> {
                    double[] y = new double[5 * 9];
                    for (int r = 0; r < 5; r++) {
                        System.arraycopy(in[0], r * 21 + 7, y, r * 9, 9);
                    }
                    return y;
                }, 1000, 25);
        Variable a = param(rnd, 1, 5, 3);
        Variable b = param(rnd, 1, 5, 8);
        // b twice: its two gradients add up
        check(pool, "concat", new Variable[] {a, b}, (t, in) -> Columns.concat(t, in[1], in[0], in[1]),
                in -> {
                    double[] y = new double[5 * 19];
                    for (int r = 0; r < 5; r++) {
                        System.arraycopy(in[1], r * 8, y, r * 19, 8);
                        System.arraycopy(in[0], r * 3, y, r * 19 + 8, 3);
                        System.arraycopy(in[1], r * 8, y, r * 19 + 11, 8);
                    }
                    return y;
                }, 1000, 26);
        Tape tape = new Tape(pool);
        assertThrows(IllegalArgumentException.class, () -> Columns.slice(tape, qkv, 5, 22));
        assertThrows(IllegalArgumentException.class, () -> Columns.concat(tape, a, Variable.zeros(4, 3)));
    }

    @Test
    void sumsThatHandOnTheirGradientInEitherOrder() {
        Random rnd = new Random(27);
        Variable x = param(rnd, 1, 4, 9);
        Variable b = param(rnd, 1, 4, 9);
        Variable c = param(rnd, 1, 9);
        // a (an op output) feeds a sum and a product; the sum may hand its gradient array to a
        for (boolean sumFirst : new boolean[] {true, false}) {
            check(pool, "shared input, sum first " + sumFirst, new Variable[] {x, b, c}, (t, in) -> {
                Variable a = Arithmetic.scale(t, in[0], 2f);
                Variable s = sumFirst ? Arithmetic.add(t, a, in[1]) : null;
                Variable p = Arithmetic.mul(t, a, in[2]);
                if (!sumFirst) {
                    s = Arithmetic.add(t, in[1], a);
                }
                Variable twice = Arithmetic.add(t, s, s);
                return Arithmetic.add(t, Arithmetic.mul(t, twice, p), Arithmetic.add(t, a, in[2]));
            }, in -> {
                double[] a = DoubleReference.scale(in[0], 2);
                double[] s = DoubleReference.add(a, in[1]);
                double[] p = DoubleReference.mul(a, in[2]);
                return DoubleReference.add(DoubleReference.mul(DoubleReference.add(s, s), p),
                        DoubleReference.add(a, in[2]));
            }, 1000, 28);
        }
    }

    @Test
    void constantsGetNoGradient() {
        Random rnd = new Random(23);
        Variable x = Variable.constant(GradientCheck.gaussian(rnd, 12, 1), 3, 4);
        Variable w = param(rnd, 1, 2, 4);
        Tape tape = new Tape(pool);
        Variable y = Linear.linear(tape, x, w);
        tape.backward(y, new float[6]);
        assertNull(x.grad());
        assertTrue(w.grad() != null);
    }

    @Test
    void shapeErrorsNameTheShapes() {
        Tape tape = new Tape(pool);
        Variable a = Variable.zeros(3, 4);
        Variable b = Variable.zeros(5, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Linear.matmul(tape, a, b, false, false));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 6]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Linear.linear(tape, a, b));
        assertThrows(IllegalArgumentException.class, () -> Arithmetic.add(tape, a, b));
        assertThrows(IllegalArgumentException.class, () -> Embedding.lookup(tape, a, new int[] {3}));
    }

    static Tensor quantized(Arena arena, DType type, float[] values, int rows, int cols) {
        Tensor w = Tensor.allocate(arena, type, rows, cols);
        MemorySegment data = w.data();
        WeightKernels.quantizer(type).quantize(values, 0, rows * cols, data, 0);
        return w;
    }

    static float[] dequantize(Tensor w) {
        float[] out = new float[(int) w.elements()];
        WeightKernels.simd(w.type()).dequantize(w.data(), 0, out, 0, out.length);
        return out;
    }
}
