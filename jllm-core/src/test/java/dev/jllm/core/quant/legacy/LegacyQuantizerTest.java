package dev.jllm.core.quant.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quantizers against GGML's reference formulas, hand-derived blocks and error bounds. */
class LegacyQuantizerTest {
    private final LegacyFamily family = new LegacyFamily();

    private byte[] quantize(DType t, float[] x, float[] importance) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) t.bytesFor(x.length)]);
        family.quantizer(t).quantize(x, 0, x.length, seg, 0, importance);
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Bytes 0x11·j for j = 0..15: nibble j in both halves. */
    private static byte[] doubledNibbles() {
        byte[] b = new byte[16];
        for (int j = 0; j < 16; j++) {
            b[j] = (byte) (0x11 * j);
        }
        return b;
    }

    @Test
    void handDerivedQ8_0() {
        float[] x = new float[32];
        x[0] = 127f; // amax 127: d = 1, id = 1
        x[1] = -63.5f; // roundf: halves away from zero
        x[2] = 2.5f;
        x[3] = -0.49f;
        byte[] expected = new byte[34];
        expected[1] = 0x3C;
        expected[2] = 127;
        expected[3] = -64;
        expected[4] = 3;
        assertArrayEquals(expected, quantize(DType.Q8_0, x, null));
    }

    @Test
    void handDerivedQ4_0() {
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) {
            x[j] = j - 8; // max = -8 (first largest magnitude): d = 1, q = trunc(x + 8.5) = j
        }
        byte[] qs = new byte[16];
        for (int j = 0; j < 16; j++) {
            qs[j] = (byte) (0x80 | j); // elements 16..31 are 0: q = trunc(8.5) = 8
        }
        assertArrayEquals(concat(bytes(0x00, 0x3C), qs), quantize(DType.Q4_0, x, null));
    }

    @Test
    void handDerivedQ4_1() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j % 16; // min 0, max 15: d = 1, m = 0, q = j % 16
        }
        assertArrayEquals(concat(bytes(0x00, 0x3C, 0x00, 0x00), doubledNibbles()), quantize(DType.Q4_1, x, null));
    }

    @Test
    void handDerivedQ5_0() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16; // max = -16: d = 1, q = trunc(x + 16.5) = j; fifth bit set for j >= 16
        }
        byte[] expected = concat(bytes(0x00, 0x3C, 0x00, 0x00, 0xFF, 0xFF), doubledNibbles());
        assertArrayEquals(expected, quantize(DType.Q5_0, x, null));
    }

    @Test
    void handDerivedQ5_1() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 1; // min -1, max 30: d = 1, m = -1, q = j
        }
        byte[] expected = concat(bytes(0x00, 0x3C, 0x00, 0xBC, 0x00, 0x00, 0xFF, 0xFF), doubledNibbles());
        assertArrayEquals(expected, quantize(DType.Q5_1, x, null));
    }

    @Test
    void allZeroBlocks() {
        float[] x = new float[64];
        assertArrayEquals(new byte[68], quantize(DType.Q8_0, x, null));
        byte[] q40 = quantize(DType.Q4_0, x, null); // d = 0, id = 0: every code trunc(8.5) = 8
        for (int b = 0; b < 2; b++) {
            for (int j = 0; j < 16; j++) {
                assertTrue(q40[b * 18 + 2 + j] == (byte) 0x88);
            }
        }
    }

    @Test
    void bitExactWithGgmlFormulasOnRandomData() {
        Random rnd = new Random(21);
        for (DType t : RandomBlocks.TYPES) {
            for (int trial = 0; trial < 20; trial++) {
                float scale = (float) Math.pow(10, rnd.nextInt(7) - 3);
                float[] x = RandomBlocks.gaussian(32 * 7, rnd);
                for (int i = 0; i < x.length; i++) {
                    x[i] *= scale;
                    if (rnd.nextInt(10) == 0) {
                        x[i] = -x[i] * 3; // outliers of either sign
                    }
                }
                assertArrayEquals(GgmlFormulas.quantize(t, x), quantize(t, x, null), t + " trial " + trial);
            }
        }
    }

    @Test
    void roundTripErrorIsBounded() {
        Random rnd = new Random(22);
        float[] x = RandomBlocks.gaussian(32 * 256, rnd);
        double[] bounds = {0.01, 0.12, 0.10, 0.06, 0.05}; // RMSE relative to σ = 1, per RandomBlocks.TYPES
        for (int i = 0; i < RandomBlocks.TYPES.length; i++) {
            DType t = RandomBlocks.TYPES[i];
            double rmse = rmse(t, x, quantize(t, x, null));
            assertTrue(rmse < bounds[i], t + " rmse " + rmse);
        }
    }

    private double rmse(DType t, float[] x, byte[] q) {
        float[] y = new float[x.length];
        family.simd(t).dequantize(MemorySegment.ofArray(q), 0, y, 0, y.length);
        double se = 0;
        for (int i = 0; i < x.length; i++) {
            se += (x[i] - y[i]) * (double) (x[i] - y[i]);
        }
        return Math.sqrt(se / x.length);
    }

    @Test
    void importanceOnAnExactGridKeepsTheGrid() {
        // values already on a grid of step 1 are fitted exactly (scale 1, zero error) whatever the
        // weights, so the weighted searches must give the same bytes as the hand-derived blocks
        Random rnd = new Random(25);
        float[] importance = new float[32];
        for (int j = 0; j < 32; j++) {
            importance[j] = 0.1f + rnd.nextFloat();
        }
        float[] q40 = new float[32];
        float[] q41 = new float[32];
        float[] q50 = new float[32];
        float[] q51 = new float[32];
        for (int j = 0; j < 32; j++) {
            q40[j] = j < 16 ? j - 8 : 0;
            q41[j] = j % 16;
            q50[j] = j - 16;
            q51[j] = j - 1;
        }
        byte[] offsetNibbles = new byte[16];
        for (int j = 0; j < 16; j++) {
            offsetNibbles[j] = (byte) (0x80 | j);
        }
        assertArrayEquals(concat(bytes(0x00, 0x3C), offsetNibbles), quantize(DType.Q4_0, q40, importance));
        assertArrayEquals(concat(bytes(0x00, 0x3C, 0x00, 0x00), doubledNibbles()),
                quantize(DType.Q4_1, q41, importance));
        assertArrayEquals(concat(bytes(0x00, 0x3C, 0x00, 0x00, 0xFF, 0xFF), doubledNibbles()),
                quantize(DType.Q5_0, q50, importance));
        assertArrayEquals(concat(bytes(0x00, 0x3C, 0x00, 0xBC, 0x00, 0x00, 0xFF, 0xFF), doubledNibbles()),
                quantize(DType.Q5_1, q51, importance));
    }

    @Test
    void importanceLowersTheWeightedError() {
        Random rnd = new Random(23);
        float[] x = RandomBlocks.gaussian(32 * 128, rnd);
        float[] importance = new float[x.length];
        for (int i = 0; i < importance.length; i++) {
            importance[i] = rnd.nextInt(4) == 0 ? 10f : 0.1f;
        }
        for (DType t : new DType[] {DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1}) {
            double plain = weightedError(t, x, quantize(t, x, null), importance);
            double weighted = weightedError(t, x, quantize(t, x, importance), importance);
            assertTrue(weighted < plain, t + ": weighted error " + weighted + " not below " + plain);
            assertArrayEquals(quantize(t, x, importance), quantize(t, x, importance), "deterministic");
        }
        // Q8_0 ignores importance, as GGML does
        assertArrayEquals(quantize(DType.Q8_0, x, null), quantize(DType.Q8_0, x, importance));
    }

    private double weightedError(DType t, float[] x, byte[] q, float[] importance) {
        float[] y = new float[x.length];
        family.reference(t).dequantize(MemorySegment.ofArray(q), 0, y, 0, y.length);
        double e = 0;
        for (int i = 0; i < x.length; i++) {
            e += importance[i] * (x[i] - y[i]) * (double) (x[i] - y[i]);
        }
        return e;
    }

    @Test
    void quantizesAtOffsets() {
        Random rnd = new Random(24);
        float[] x = RandomBlocks.gaussian(7 + 96, rnd);
        for (DType t : RandomBlocks.TYPES) {
            MemorySegment seg = MemorySegment.ofArray(new byte[5 + (int) t.bytesFor(96)]);
            family.quantizer(t).quantize(x, 7, 96, seg, 5);
            byte[] expected = GgmlFormulas.quantize(t, Arrays.copyOfRange(x, 7, 103));
            assertArrayEquals(expected, seg.asSlice(5).toArray(ValueLayout.JAVA_BYTE), t.toString());
        }
    }

    @Test
    void badArgumentsAreRejected() {
        for (DType t : RandomBlocks.TYPES) {
            Quantizer q = family.quantizer(t);
            MemorySegment seg = MemorySegment.ofArray(new byte[256]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> q.quantize(new float[64], 0, 48, seg, 0));
            assertTrue(e.getMessage().contains("48"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[64], 0, 32, seg, 250));
            assertTrue(e.getMessage().contains("256"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[40], 16, 32, seg, 0));
            assertTrue(e.getMessage().contains("40"), e.getMessage());
            if (t != DType.Q8_0) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> q.quantize(new float[64], 0, 64, seg, 0, new float[32]));
                assertTrue(e.getMessage().contains("importance"), e.getMessage());
            }
        }
    }
}
