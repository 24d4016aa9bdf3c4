package dev.jllm.core.quant.nf4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4DoubleQuantizedTest {

    @Test
    void dynamicCodeIsSortedSignedAndRoundTrips() {
        assertEquals(-0.99296875f, DynamicCode8.value(0), 1e-6f);
        assertEquals(1f, DynamicCode8.value(255));
        assertEquals(0f, DynamicCode8.value(DynamicCode8.code(0f)));
        // the finest step: 10^-6 · midpoint of [0.1, 1]
        assertEquals(0.55e-6f, DynamicCode8.value(DynamicCode8.code(0f) + 1), 1e-12f);
        for (int c = 0; c < 256; c++) {
            assertEquals(c, DynamicCode8.code(DynamicCode8.value(c)));
            if (c > 0) {
                assertTrue(DynamicCode8.value(c) > DynamicCode8.value(c - 1));
            }
        }
        assertEquals(255, DynamicCode8.code(2f));
        assertEquals(0, DynamicCode8.code(-2f));
    }

    @Test
    void errorIsCloseToPlainNf4AndStorageIsAbout4127BitsPerParameter() {
        Random rnd = new Random(3);
        int rows = 64;
        int cols = 4096;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            // rows of differing scale so the absmax values spread
            w[i] = (float) (rnd.nextGaussian() * 0.02 * (1 + (i / cols) % 5));
        }
        Nf4DoubleQuantized dq = Nf4DoubleQuantized.quantize(w, 0, rows, cols);
        assertEquals(rows, dq.rows());
        assertEquals(cols, dq.cols());
        double bits = dq.bitsPerParameter();
        assertEquals(4.127, bits, 0.001, "bits per parameter");

        MemorySegment plain = MemorySegment.ofArray(new byte[(int) DType.NF4.bytesFor(w.length)]);
        WeightKernels.quantizer(DType.NF4).quantize(w, 0, w.length, plain, 0);
        float[] nf4 = new float[w.length];
        WeightKernels.simd(DType.NF4).dequantize(plain, 0, nf4, 0, w.length);
        float[] restored = dq.dequantize();
        double errPlain = 0;
        double errDq = 0;
        for (int i = 0; i < w.length; i++) {
            errPlain += (nf4[i] - w[i]) * (nf4[i] - w[i]);
            errDq += (restored[i] - w[i]) * (restored[i] - w[i]);
        }
        double ratio = Math.sqrt(errDq / errPlain);
        assertTrue(ratio >= 0.99 && ratio < 1.01, "DQ error / NF4 error = " + ratio);
        for (int b = 0; b < w.length / 64; b += 97) {
            float absmax = 0;
            for (int i = 0; i < 64; i++) {
                absmax = Math.max(absmax, Math.abs(w[b * 64 + i]));
            }
            // the dynamic code steps by at most 0.9/64 of the group scale near its ends
            assertEquals(absmax, dq.blockAbsmax(b), absmax * 0.03, "absmax of block " + b);
        }
    }

    @Test
    void rowDotMatchesScalarTwinAndDequantizedRow() {
        Random rnd = new Random(5);
        int rows = 5;
        int cols = 320;
        float[] w = Nf4Test.gaussian(rnd, rows * cols + 2);
        float[] x = Nf4Test.gaussian(rnd, cols + 1);
        Nf4DoubleQuantized dq = Nf4DoubleQuantized.quantize(w, 2, rows, cols);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            dq.dequantizeRow(r, row, 0);
            double exact = 0;
            double mag = 0;
            for (int i = 0; i < cols; i++) {
                exact += (double) row[i] * x[1 + i];
                mag += Math.abs((double) row[i] * x[1 + i]);
            }
            assertEquals(exact, dq.dotRow(r, x, 1), 1e-5 * mag);
            assertEquals(exact, dq.dotRowReference(r, x, 1), 1e-5 * mag);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dq.dotRow(0, x, 2));
        assertTrue(e.getMessage().contains("length " + x.length), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dq.dotRow(rows, x, 0));
    }
}
