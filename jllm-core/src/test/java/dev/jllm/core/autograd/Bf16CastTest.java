package dev.jllm.core.autograd;

import static dev.jllm.core.autograd.GradientCheck.param;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.core.parallel.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** BF16 rounding as an op: values and gradients equal a plain bit-level rounding written here. */
class Bf16CastTest {
    /** Round to nearest even on the upper 16 bits, written independently of the kernel. */
    private static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
        return Float.intBitsToFloat(rounded);
    }

    @Test
    void forwardAndBackwardRoundToBf16() {
        try (WorkerPool pool = new WorkerPool(2)) {
            Random rnd = new Random(3);
            // more than one parallel chunk and a ragged tail
            Variable x = param(rnd, 1, 3, 4099);
            Tape tape = new Tape(pool);
            Variable y = Bf16Cast.round(tape, x);
            float[] weights = new float[x.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (float) rnd.nextGaussian() * 1.37f;
                assertEquals(bf16(x.value()[i]), y.value()[i], 0f, "value " + i);
            }
            tape.backward(y, weights);
            for (int i = 0; i < weights.length; i++) {
                assertEquals(bf16(weights[i]), x.grad()[i], 0f, "gradient " + i);
            }
        }
    }
}
