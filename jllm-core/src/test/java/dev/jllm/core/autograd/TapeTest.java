package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.GradientCheck.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tape's bookkeeping: noGrad, accumulation, reuse across steps, misuse. */
class TapeTest {
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static Variable smallLoss(Tape tape, Variable x, Variable w) {
        Variable h = Activation.silu(tape, Linear.linear(tape, x, w));
        return CrossEntropy.loss(tape, h, new int[] {1, 0, 2}, -100);
    }

    @Test
    void noGradRecordsNothingAndNeedsNoGradient() {
        Random rnd = new Random(1);
        Variable x = param(rnd, 1, 3, 5);
        Variable w = param(rnd, 1, 4, 5);
        Tape tape = new Tape(pool);
        float expected;
        try (Tape.Scope ignored = tape.noGrad()) {
            Variable loss = smallLoss(tape, x, w);
            assertFalse(tape.recording());
            assertFalse(loss.requiresGrad());
            assertEquals(0, tape.recordedSteps());
            assertThrows(IllegalArgumentException.class, () -> tape.backward(loss));
            expected = loss.item();
            Variable same = Dropout.apply(tape, x, 0.5f, 9);
            assertSame(x, same, "dropout is the identity in evaluation");
        }
        assertTrue(tape.recording());
        Variable loss = smallLoss(tape, x, w);
        assertEquals(expected, loss.item(), "noGrad computes the same values");
        assertEquals(3, tape.recordedSteps());
    }

    @Test
    void gradientsAccumulateOverBackwardPassesUntilZeroed() {
        Random rnd = new Random(2);
        Variable x = param(rnd, 1, 3, 5);
        Variable w = param(rnd, 1, 4, 5);
        Tape tape = new Tape(pool);
        tape.backward(smallLoss(tape, x, w));
        float[] once = w.grad().clone();
        tape.clear();
        tape.backward(smallLoss(tape, x, w));
        for (int i = 0; i < once.length; i++) {
            assertEquals(2 * once[i], w.grad()[i], 1e-6f * Math.abs(once[i]), "accumulated at " + i);
        }
        w.zeroGrad();
        tape.clear();
        tape.backward(smallLoss(tape, x, w));
        assertArrayEquals(once, w.grad());
    }

    @Test
    void clearDetachesOutputsAndReusesTheirArrays() {
        Random rnd = new Random(3);
        Variable x = param(rnd, 1, 3, 5);
        Variable w = param(rnd, 1, 4, 5);
        Tape tape = new Tape(pool);
        Variable loss = smallLoss(tape, x, w);
        tape.backward(loss);
        long floats = tape.workspaceFloats();
        assertTrue(floats > 0);
        assertThrows(IllegalStateException.class, () -> tape.backward(loss), "one backward per step");
        tape.clear();
        assertThrows(IllegalStateException.class, loss::value);
        assertEquals(0, tape.recordedSteps());
        Variable again = smallLoss(tape, x, w);
        tape.backward(again);
        assertEquals(floats, tape.workspaceFloats(), "the second step asks for the same arrays");
    }

    @Test
    void backwardNeedsAScalarOrAGradientOfTheOutputsSize() {
        Random rnd = new Random(4);
        Variable x = param(rnd, 1, 3, 5);
        Variable w = param(rnd, 1, 4, 5);
        Tape tape = new Tape(pool);
        Variable y = Linear.linear(tape, x, w);
        assertThrows(IllegalArgumentException.class, () -> tape.backward(y));
        assertThrows(IllegalArgumentException.class, () -> tape.backward(y, new float[5]));
    }

    @Test
    void unusedBranchesGetNoGradient() {
        Random rnd = new Random(5);
        Variable x = param(rnd, 1, 3, 5);
        Variable w = param(rnd, 1, 4, 5);
        Variable unused = param(rnd, 1, 4, 5);
        Tape tape = new Tape(pool);
        Linear.linear(tape, x, unused);
        tape.backward(smallLoss(tape, x, w));
        assertNull(unused.grad());
    }

    @Test
    void dropoutDropsAboutPAndRepeatsItsMaskForASeed() {
        Tape tape = new Tape(pool);
        float[] ones = new float[100_000];
        java.util.Arrays.fill(ones, 1f);
        Variable x = Variable.constant(ones, 100_000);
        float[] a = Dropout.apply(tape, x, 0.25f, 77).value();
        float[] b = Dropout.apply(tape, x, 0.25f, 77).value();
        float[] c = Dropout.apply(tape, x, 0.25f, 78).value();
        assertArrayEquals(a, b);
        int dropped = 0;
        int differ = 0;
        for (int i = 0; i < a.length; i++) {
            dropped += a[i] == 0f ? 1 : 0;
            differ += (a[i] == 0f) != (c[i] == 0f) ? 1 : 0;
            assertTrue(a[i] == 0f || a[i] == 1f / 0.75f);
        }
        // binomial: σ = √(n·p·(1 − p)) ≈ 137, allow 5σ
        assertEquals(25_000, dropped, 700);
        assertTrue(differ > 30_000, "another seed drops other elements: " + differ);
        assertSame(x, Dropout.apply(tape, x, 0f, 1));
        float[] fromRng = Dropout.apply(tape, x, 0.25f, new java.util.SplittableRandom(5)).value();
        assertArrayEquals(fromRng, Dropout.apply(tape, x, 0.25f, new java.util.SplittableRandom(5)).value());
        assertThrows(IllegalArgumentException.class, () -> Dropout.apply(tape, x, 1f, 1));
    }

    @Test
    void variablesCheckTheirShapes() {
        assertThrows(IllegalArgumentException.class, () -> Variable.parameter(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Variable.zeros(-1, 3));
        Variable v = Variable.zeros(2, 3, 4);
        assertEquals(6, v.rows());
        assertEquals(4, v.cols());
        assertEquals(3, v.dim(-2));
        assertThrows(IllegalStateException.class, v::item);
    }
}
