package dev.jllm.core.quant.kquant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.Rounding;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Quantize→dequantize error of the Q4_K, Q5_K and Q6_K quantizers and their searches. */
class KQuantQuantizerTest {
    private static final int N = 16 * 256;

    private static float[] roundTrip(DType type, float[] x, float[] importance) {
        MemorySegment blocks = MemorySegment.ofArray(new byte[(int) type.bytesFor(x.length) + 3]);
        WeightKernels.quantizer(type).quantize(x, 0, x.length, blocks, 3, importance);
        float[] y = new float[x.length];
        WeightKernels.reference(type).dequantize(blocks, 3, y, 0, x.length);
        float[] z = new float[x.length];
        WeightKernels.simd(type).dequantize(blocks, 3, z, 0, x.length);
        assertArrayEquals(y, z, type + ": SIMD and reference dequantization of quantized blocks");
        return y;
    }

    private static double rmse(float[] x, float[] y, float[] w) {
        double s = 0;
        double sw = 0;
        for (int i = 0; i < x.length; i++) {
            double wi = w == null ? 1 : w[i];
            s += wi * (x[i] - y[i]) * (x[i] - y[i]);
            sw += wi;
        }
        return Math.sqrt(s / sw);
    }

    @ParameterizedTest
    @CsvSource({"Q2_K, 0.32", "Q3_K, 0.17", "Q4_K, 0.08", "Q5_K, 0.04", "Q6_K, 0.02"})
    void gaussianRmseIsBounded(DType type, double bound) {
        float[] x = RandomBlocks.gaussian(N, new Random(7));
        double e = rmse(x, roundTrip(type, x, null), null);
        System.out.printf("%s RMSE on N(0,1): %.5f%n", type, e);
        assertTrue(e < bound, type + " RMSE " + e + " above " + bound);
        float[] importance = new float[N];
        java.util.Arrays.fill(importance, 1f);
        double ew = rmse(x, roundTrip(type, x, importance), null);
        System.out.printf("%s RMSE on N(0,1) with unit importance: %.5f%n", type, ew);
        assertTrue(ew < bound, type + " weighted-path RMSE " + ew + " above " + bound);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void importanceLowersWeightedError(DType type) {
        Random random = new Random(11);
        float[] x = RandomBlocks.gaussian(N, random);
        float[] importance = new float[N];
        for (int i = 0; i < N; i++) {
            // a few heavy columns, as an activation-derived importance matrix has
            importance[i] = random.nextInt(10) == 0 ? 100f : 0.1f + random.nextFloat();
        }
        double plain = rmse(x, roundTrip(type, x, null), importance);
        double weighted = rmse(x, roundTrip(type, x, importance), importance);
        System.out.printf("%s importance-weighted RMSE: plain %.5f, with importance %.5f%n", type, plain, weighted);
        assertTrue(weighted < plain, type + ": weighted " + weighted + " not below plain " + plain);
    }

    @Test
    void zerosStayZero() {
        for (DType type : new DType[] {DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K}) {
            float[] y = roundTrip(type, new float[512], null);
            assertArrayEquals(new float[512], y, 0f, type.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void badArgumentsAreRejected(DType type) {
        Quantizer q = WeightKernels.quantizer(type);
        MemorySegment dst = MemorySegment.ofArray(new byte[4096]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> q.quantize(new float[1000], 0, 300, dst, 0));
        assertTrue(e.getMessage().contains("300"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[256], 1, 256, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(new float[512], 0, 512, dst, 0, new float[256]));
        assertThrows(IllegalArgumentException.class,
                () -> q.quantize(new float[512], 0, 512, MemorySegment.ofArray(new byte[100]), 0));
    }

    /** The search of make_qkx2_quants against the plain min/max scale on sub-blocks of 32. */
    @ParameterizedTest
    @CsvSource({"15, -1, 20", "31, -0.5, 15"})
    void asymmetricSearchBeatsMinMax(int nmax, float rmin, int nstep) {
        Random random = new Random(3);
        double searched = 0;
        double minMax = 0;
        for (int t = 0; t < 200; t++) {
            float[] x = RandomBlocks.gaussian(32, random);
            float[] w = new float[32];
            for (int i = 0; i < 32; i++) {
                w[i] = 1;
            }
            int[] levels = new int[32];
            float[] min = new float[1];
            float scale = ScaleSearch.scaleAndMin(32, nmax, x, 0, w, levels, 0, min, 0, rmin, 0.1f, nstep, false, false);
            float lo = 0;
            float hi = x[0];
            for (float v : x) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            float plainScale = (hi - lo) / nmax;
            for (int i = 0; i < 32; i++) {
                double s = scale * levels[i] - min[0] - x[i];
                searched += s * s;
                int l = Math.max(0, Math.min(nmax, Rounding.nearestInt((x[i] - lo) / plainScale)));
                double p = plainScale * l + lo - x[i];
                minMax += p * p;
            }
        }
        System.out.printf("nmax %d: searched SSE %.4f vs min/max SSE %.4f%n", nmax, searched, minMax);
        assertTrue(searched < minMax, "search " + searched + " not below min/max " + minMax);
    }

    /** make_qx_quants against the plain amax/nmax scale on groups of 16 (Q6_K). */
    @Test
    void symmetricSearchBeatsMaxScale() {
        Random random = new Random(5);
        double searched = 0;
        double plain = 0;
        for (int t = 0; t < 200; t++) {
            float[] x = RandomBlocks.gaussian(16, random);
            int[] levels = new int[16];
            float scale = ScaleSearch.symmetricScale(16, 32, x, 0, levels, 0, null, 0);
            float max = 0;
            for (float v : x) {
                if (Math.abs(v) > Math.abs(max)) {
                    max = v;
                }
            }
            float plainScale = max / -32;
            for (int i = 0; i < 16; i++) {
                double w = (double) x[i] * x[i];
                double s = scale * (levels[i] - 32) - x[i];
                searched += w * s * s;
                int l = Math.max(-32, Math.min(31, Rounding.nearestInt(x[i] / plainScale)));
                double p = plainScale * l - x[i];
                plain += w * p * p;
            }
        }
        System.out.printf("Q6_K groups: searched weighted SSE %.5f vs amax scale %.5f%n", searched, plain);
        assertTrue(searched < plain, "search " + searched + " not below plain " + plain);
    }

    /** A whole Q4_K quantizer built on per-sub-block min/max loses to the searched one. */
    @Test
    void q4KSearchBeatsMinMaxBlocks() {
        float[] x = RandomBlocks.gaussian(N, new Random(9));
        double searched = rmse(x, roundTrip(DType.Q4_K, x, null), null);
        MemorySegment blocks = MemorySegment.ofArray(new byte[(int) DType.Q4_K.bytesFor(N)]);
        for (int b = 0; b < N / 256; b++) {
            byte[] block = new byte[144];
            float[] sc = new float[8];
            float[] mn = new float[8];
            float maxSc = 0;
            float maxMn = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0;
                float hi = -Float.MAX_VALUE;
                for (int i = 0; i < 32; i++) {
                    lo = Math.min(lo, x[b * 256 + 32 * j + i]);
                    hi = Math.max(hi, x[b * 256 + 32 * j + i]);
                }
                sc[j] = (hi - lo) / 15;
                mn[j] = -lo;
                maxSc = Math.max(maxSc, sc[j]);
                maxMn = Math.max(maxMn, mn[j]);
            }
            ScaleMinQuantizer.putHalf(block, 0, maxSc / 63);
            ScaleMinQuantizer.putHalf(block, 2, maxMn / 63);
            float d = ScaleMinQuantizer.getHalf(block, 0);
            float dmin = ScaleMinQuantizer.getHalf(block, 2);
            byte[] packed = new byte[12];
            int[] ls = new int[8];
            int[] lm = new int[8];
            for (int j = 0; j < 8; j++) {
                ls[j] = Math.min(63, Math.round(sc[j] / d));
                lm[j] = Math.min(63, Math.round(mn[j] / dmin));
                PackedScales.packK4(packed, j, ls[j], lm[j]);
            }
            System.arraycopy(packed, 0, block, 4, 12);
            for (int j = 0; j < 8; j++) {
                for (int i = 0; i < 32; i++) {
                    float v = x[b * 256 + 32 * j + i];
                    int l = Math.max(0, Math.min(15, Math.round((v + dmin * lm[j]) / (d * ls[j]))));
                    int at = 16 + 32 * (j / 2) + i;
                    block[at] |= (byte) (j % 2 == 0 ? l : l << 4);
                }
            }
            MemorySegment.copy(block, 0, blocks, java.lang.foreign.ValueLayout.JAVA_BYTE, 144L * b, 144);
        }
        float[] y = new float[N];
        WeightKernels.reference(DType.Q4_K).dequantize(blocks, 0, y, 0, N);
        double minMax = rmse(x, y, null);
        System.out.printf("Q4_K RMSE: searched %.5f vs min/max %.5f%n", searched, minMax);
        assertTrue(searched < minMax);
        assertEquals(DType.Q4_K, WeightKernels.quantizer(DType.Q4_K).type());
    }
}
