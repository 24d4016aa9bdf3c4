package dev.jllm.core.quant.floats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FloatKernelsTest {
    private static final int[] SIZES = {0, 1, 15, 17, 33, 1000, 4097};
    private static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16};
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void registryServesTheFloatKernels() {
        for (DType t : TYPES) {
            assertEquals(t, WeightKernels.simd(t).type());
            assertEquals(t, WeightKernels.reference(t).type());
            assertEquals(t, WeightKernels.quantizer(t).type());
        }
        assertSame(null, new FloatFamily().simd(DType.Q4_0));
    }

    @Test
    void simdMatchesReferenceOnRandomDataAndTails() {
        Random rnd = new Random(1);
        for (DType t : TYPES) {
            WeightKernel simd = WeightKernels.simd(t);
            WeightKernel ref = WeightKernels.reference(t);
            Quantizer q = WeightKernels.quantizer(t);
            for (int n : SIZES) {
                float[] w = random(rnd, n + 3);
                float[] x = random(rnd, n + 5);
                int bytes = t == DType.F32 ? 4 : 2;
                // odd byte offset: the kernels must not assume alignment
                MemorySegment seg = MemorySegment.ofArray(new byte[n * bytes + 7]);
                q.quantize(w, 3, n, seg, 7);
                float[] a = new float[n + 2];
                float[] b = new float[n + 2];
                simd.dequantize(seg, 7, a, 2, n);
                ref.dequantize(seg, 7, b, 2, n);
                for (int i = 0; i < n + 2; i++) {
                    assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), t + " n=" + n + " i=" + i);
                }
                float ds = simd.dot(seg, 7, x, 5, n);
                float dr = ref.dot(seg, 7, x, 5, n);
                double exact = 0;
                double mag = 0;
                for (int i = 0; i < n; i++) {
                    exact += (double) b[2 + i] * x[5 + i];
                    mag += Math.abs((double) b[2 + i] * x[5 + i]);
                }
                assertEquals(exact, ds, 1e-5 * mag + 1e-6, t + " simd dot n=" + n);
                assertEquals(exact, dr, 1e-5 * mag + 1e-6, t + " reference dot n=" + n);
            }
        }
    }

    @Test
    void f16SimdWidensEveryBitPatternExactly() {
        MemorySegment seg = MemorySegment.ofArray(new short[65536]);
        for (int h = 0; h < 65536; h++) {
            seg.set(LE_SHORT, 2L * h, (short) h);
        }
        float[] simd = new float[65536];
        float[] ref = new float[65536];
        WeightKernels.simd(DType.F16).dequantize(seg, 0, simd, 0, 65536);
        WeightKernels.reference(DType.F16).dequantize(seg, 0, ref, 0, 65536);
        for (int h = 0; h < 65536; h++) {
            int expected = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            if ((h & 0x7fff) > 0x7c00) {
                // NaN: sign and payload kept, quiet bit set
                expected = (h & 0x8000) << 16 | 0x7fc00000 | (h & 0x3ff) << 13;
                assertTrue(Float.isNaN(ref[h]), "reference 0x" + Integer.toHexString(h));
            } else {
                assertEquals(expected, Float.floatToRawIntBits(ref[h]), "reference 0x" + Integer.toHexString(h));
            }
            assertEquals(expected, Float.floatToRawIntBits(simd[h]), "simd 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void bf16SimdWidensEveryBitPatternExactly() {
        MemorySegment seg = MemorySegment.ofArray(new short[65536]);
        for (int h = 0; h < 65536; h++) {
            seg.set(LE_SHORT, 2L * h, (short) h);
        }
        float[] simd = new float[65536];
        WeightKernels.simd(DType.BF16).dequantize(seg, 0, simd, 0, 65536);
        for (int h = 0; h < 65536; h++) {
            assertEquals(h << 16, Float.floatToRawIntBits(simd[h]), "0x" + Integer.toHexString(h));
        }
    }

    @Test
    void f16DotWithInfinityOrNaNMatchesReference() {
        Random rnd = new Random(2);
        int n = 1000;
        float[] x = random(rnd, n);
        for (float special : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
            for (int at : new int[] {0, 40, 517, 999}) {
                float[] w = random(rnd, n);
                w[at] = special;
                MemorySegment seg = MemorySegment.ofArray(new byte[2 * n]);
                WeightKernels.quantizer(DType.F16).quantize(w, 0, n, seg, 0);
                float ref = WeightKernels.reference(DType.F16).dot(seg, 0, x, 0, n);
                float simd = WeightKernels.simd(DType.F16).dot(seg, 0, x, 0, n);
                assertEquals(ref, simd, "special " + special + " at " + at);
            }
        }
        // 65504, the largest finite binary16, takes the fast path and stays finite
        float[] w = new float[64];
        w[3] = 65504f;
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        MemorySegment seg = MemorySegment.ofArray(new byte[128]);
        WeightKernels.quantizer(DType.F16).quantize(w, 0, 64, seg, 0);
        assertEquals(65504f, WeightKernels.simd(DType.F16).dot(seg, 0, ones, 0, 64));
    }

    @Test
    void f16QuantizerRoundTripsSpecialValues() {
        float[] in = {0f, -0f, 1f, -2.5f, 65504f, 65520f, 1e6f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f, 0x1.ff8p-15f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f + 0x1p-11f, 1f + 0x3p-11f};
        float[] expected = {0f, -0f, 1f, -2.5f, 65504f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 0x1p-24f, 0f,
            0x1p-24f, 0x1p-14f, 0x1.ff8p-15f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f,
            1f + 0x1p-9f};
        float[] out = roundTrip(DType.F16, in);
        for (int i = 0; i < in.length; i++) {
            assertEquals(expected[i], out[i], "F16 of " + in[i]);
            assertEquals(Float.floatToIntBits(expected[i]) >>> 31, Float.floatToIntBits(out[i]) >>> 31, "sign of " + in[i]);
        }
    }

    @Test
    void bf16QuantizerRoundsToNearestEvenAndKeepsNaNs() {
        float[] in = {0f, -0f, 1f, 1f + 0x1p-8f, 1f + 0x3p-8f, 1f + 0x1.01p-8f, -3.0f, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-133f, Float.MIN_VALUE, 0x1.7fp-130f};
        float[] expected = {0f, -0f, 1f, 1f, 1f + 0x1p-6f, 1f + 0x1p-7f, -3.0f, Float.POSITIVE_INFINITY,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1p-133f, 0f, 0x1.8p-130f};
        float[] out = roundTrip(DType.BF16, in);
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]), "BF16 of " + in[i]);
        }
        // a signalling NaN whose payload lies only in the low half must stay a NaN (quiet), not become infinity
        short nan = FloatQuantizer.toBf16(Float.intBitsToFloat(0x7f800001));
        assertEquals((short) 0x7fc0, nan);
        assertTrue(Float.isNaN(FloatQuantizer.fromBf16(FloatQuantizer.toBf16(Float.intBitsToFloat(0xff800123)))));
        assertEquals((short) 0xffc0, FloatQuantizer.toBf16(Float.intBitsToFloat(0xff800123)));
    }

    @Test
    void f32QuantizerCopiesBits() {
        float[] in = {1.5f, -0f, Float.NaN, Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
        float[] out = roundTrip(DType.F32, in);
        for (int i = 0; i < in.length; i++) {
            assertEquals(Float.floatToRawIntBits(in[i]), Float.floatToRawIntBits(out[i]));
        }
    }

    @Test
    void badRangesThrowNamingTheSizes() {
        MemorySegment seg = MemorySegment.ofArray(new byte[40]);
        for (DType t : TYPES) {
            WeightKernel k = WeightKernels.simd(t);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.dot(seg, 0, new float[8], 0, 9));
            assertTrue(e.getMessage().contains("length 8"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.dequantize(seg, 0, new float[100], 0, 100));
            assertTrue(e.getMessage().contains("40 bytes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> WeightKernels.reference(t).dot(seg, 0, new float[8], 0, -1));
        }
        assertThrows(IllegalArgumentException.class, () -> new FloatQuantizer(DType.Q8_0));
    }

    private static float[] roundTrip(DType t, float[] in) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(t.bytesFor(in.length));
            WeightKernels.quantizer(t).quantize(in, 0, in.length, seg, 0);
            float[] out = new float[in.length];
            float[] simd = new float[in.length];
            WeightKernels.reference(t).dequantize(seg, 0, out, 0, in.length);
            WeightKernels.simd(t).dequantize(seg, 0, simd, 0, in.length);
            for (int i = 0; i < in.length; i++) {
                assertEquals(Float.floatToRawIntBits(out[i]), Float.floatToRawIntBits(simd[i]));
            }
            return out;
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }
}
