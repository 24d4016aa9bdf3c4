package dev.jllm.core.quant.nf4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4Test {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void codebookRoundTripsItsLevelsAndSplitsAtMidpoints() {
        float[] levels = Nf4Codebook.levels();
        assertEquals(16, levels.length);
        assertEquals(-1f, levels[0]);
        assertEquals(0f, levels[Nf4Codebook.ZERO_CODE]);
        assertEquals(1f, levels[15]);
        assertEquals(-0.6961928009986877f, levels[1]);
        assertEquals(0.7229568362236023f, levels[14]);
        for (int c = 0; c < 16; c++) {
            assertEquals(c, Nf4Codebook.code(levels[c]));
            if (c > 0) {
                assertTrue(levels[c] > levels[c - 1]);
                float mid = (float) (((double) levels[c - 1] + levels[c]) / 2);
                assertEquals(c - 1, Nf4Codebook.code(mid), "a value on the threshold takes the lower level");
                assertEquals(c, Nf4Codebook.code(Math.nextUp(mid)));
            }
        }
        assertEquals(7, Nf4Codebook.code(0.0397f));
        assertEquals(8, Nf4Codebook.code(0.0398f));
    }

    @Test
    void handBuiltBlockDequantizesToKnownValues() {
        // absmax 2; byte i holds element 2i in its high nibble: (15, 0), (7, 8), (1, 14), then zeros
        MemorySegment seg = MemorySegment.ofArray(new byte[3 + 36]);
        seg.set(LE_FLOAT, 3, 2f);
        byte[] codes = new byte[32];
        java.util.Arrays.fill(codes, (byte) 0x77);
        codes[0] = (byte) 0xF0;
        codes[1] = (byte) 0x78;
        codes[2] = (byte) 0x1E;
        MemorySegment.copy(codes, 0, seg, ValueLayout.JAVA_BYTE, 7, 32);
        float[] expected = new float[64];
        expected[0] = 2f;
        expected[1] = -2f;
        expected[2] = 0f;
        expected[3] = 2 * 0.07958029955625534f;
        expected[4] = 2 * -0.6961928009986877f;
        expected[5] = 2 * 0.7229568362236023f;
        for (WeightKernel k : new WeightKernel[] {WeightKernels.simd(DType.NF4), WeightKernels.reference(DType.NF4)}) {
            float[] out = new float[64];
            k.dequantize(seg, 3, out, 0, 64);
            assertArrayEquals(expected, out, k.getClass().getSimpleName());
            float[] x = new float[64];
            for (int i = 0; i < 64; i++) {
                x[i] = i + 1;
            }
            float dot = 0;
            for (int i = 0; i < 64; i++) {
                dot += expected[i] * x[i];
            }
            assertEquals(dot, k.dot(seg, 3, x, 0, 64), 1e-5f);
        }
        // quantizing the dequantized values gives the block back
        MemorySegment again = MemorySegment.ofArray(new byte[36]);
        WeightKernels.quantizer(DType.NF4).quantize(expected, 0, 64, again, 0);
        assertEquals(2f, again.get(LE_FLOAT, 0));
        for (int i = 0; i < 32; i++) {
            assertEquals(codes[i], again.get(ValueLayout.JAVA_BYTE, 4 + i), "byte " + i);
        }
    }

    @Test
    void zeroBlockHasZeroAbsmaxAndZeroCodes() {
        MemorySegment seg = MemorySegment.ofArray(new byte[36]);
        WeightKernels.quantizer(DType.NF4).quantize(new float[64], 0, 64, seg, 0);
        assertEquals(0f, seg.get(LE_FLOAT, 0));
        assertEquals((byte) 0x77, seg.get(ValueLayout.JAVA_BYTE, 20));
    }

    @Test
    void simdMatchesReferenceOnRandomBlocks() {
        Random rnd = new Random(7);
        WeightKernel simd = WeightKernels.simd(DType.NF4);
        WeightKernel ref = WeightKernels.reference(DType.NF4);
        for (int blocks : new int[] {0, 1, 2, 3, 17, 64}) {
            int n = blocks * 64;
            float[] w = gaussian(rnd, n + 1);
            float[] x = gaussian(rnd, n + 3);
            MemorySegment seg = MemorySegment.ofArray(new byte[blocks * 36 + 5]);
            WeightKernels.quantizer(DType.NF4).quantize(w, 1, n, seg, 5);
            float[] a = new float[n];
            float[] b = new float[n];
            simd.dequantize(seg, 5, a, 0, n);
            ref.dequantize(seg, 5, b, 0, n);
            assertArrayEquals(b, a);
            double exact = 0;
            double mag = 0;
            double err = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) b[i] * x[3 + i];
                mag += Math.abs((double) b[i] * x[3 + i]);
                err += (b[i] - w[1 + i]) * (b[i] - w[1 + i]);
                norm += w[1 + i] * w[1 + i];
            }
            assertEquals(exact, simd.dot(seg, 5, x, 3, n), 1e-5 * mag + 1e-6);
            assertEquals(exact, ref.dot(seg, 5, x, 3, n), 1e-5 * mag + 1e-6);
            if (n > 0) {
                // NF4 on normal data: relative RMS error about 0.1
                assertTrue(Math.sqrt(err / norm) < 0.12, "relative error " + Math.sqrt(err / norm));
            }
        }
    }

    @Test
    void badArgumentsThrow() {
        WeightKernel simd = WeightKernels.simd(DType.NF4);
        MemorySegment seg = MemorySegment.ofArray(new byte[72]);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> simd.dot(seg, 0, new float[128], 0, 100));
        assertTrue(e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> simd.dot(seg, 0, new float[64], 0, 128));
        assertTrue(e.getMessage().contains("length 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> simd.dequantize(seg, 1, new float[128], 0, 128));
        assertTrue(e.getMessage().contains("72 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Nf4DoubleQuantized.quantize(new float[100], 0, 1, 100));
        assertThrows(IllegalArgumentException.class, () -> Nf4DoubleQuantized.quantize(new float[64], 0, 2, 64));
    }

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        return a;
    }
}
