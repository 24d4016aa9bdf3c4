package dev.jllm.core.quant.kquant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Dequantization of blocks whose bytes are set by hand, against values worked out from GGML's
 * layouts (d = 0.5 and dmin = 0.25 throughout).
 */
class KnownBlocksTest {
    private static final short HALF_0_5 = 0x3800;
    private static final short HALF_0_25 = 0x3400;

    private static void putHalf(byte[] b, int at, short h) {
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >>> 8);
    }

    /** Checks the listed elements (others are not checked) with both kernels. */
    private static void check(DType type, byte[] block, Map<Integer, Float> expected) {
        for (WeightKernel k : new WeightKernel[] {WeightKernels.reference(type), WeightKernels.simd(type)}) {
            float[] out = new float[256];
            k.dequantize(MemorySegment.ofArray(block), 0, out, 0, 256);
            for (Map.Entry<Integer, Float> e : expected.entrySet()) {
                assertEquals(e.getValue(), out[e.getKey()], 0f, type + " element " + e.getKey() + " via " + k);
            }
        }
    }

    /** Q4_K/Q5_K scales: sc0=1 m0=2, sc1=3 m1=0, sc4=17 m4=33 (high bits in bytes 0 and 4). */
    private static void putK4Scales(byte[] b) {
        b[4] = 0x41;
        b[5] = 3;
        b[8] = (byte) 0x82;
        b[12] = 0x11;
    }

    @Test
    void q4K() {
        byte[] b = new byte[144];
        putHalf(b, 0, HALF_0_5);
        putHalf(b, 2, HALF_0_25);
        putK4Scales(b);
        b[16] = 0x5A;
        b[16 + 67] = 0x07;
        check(DType.Q4_K, b, Map.of(
                0, 0.5f * 1 * 10 - 0.25f * 2,
                1, -0.5f,
                32, 0.5f * 3 * 5,
                131, 0.5f * 17 * 7 - 0.25f * 33,
                130, -0.25f * 33,
                163, 0f));
    }

    @Test
    void q5K() {
        byte[] b = new byte[176];
        putHalf(b, 0, HALF_0_5);
        putHalf(b, 2, HALF_0_25);
        putK4Scales(b);
        b[16] = 0x03;
        b[16 + 3] = 0x10;
        b[48] = 0x5A;
        b[48 + 67] = 0x07;
        check(DType.Q5_K, b, Map.of(
                0, 0.5f * 1 * 26 - 0.5f,
                32, 0.5f * 3 * 21,
                131, 0.5f * 17 * 23 - 0.25f * 33,
                3, -0.5f,
                163, 0f));
    }

    @Test
    void q6K() {
        byte[] b = new byte[210];
        b[0] = 0x3F;
        b[128] = (byte) 0b10_01_11_10;
        b[192] = 2;
        b[194] = -3;
        b[196] = 1;
        b[64 + 17] = 0x01;
        b[128 + 32 + 17] = 0x03;
        b[192 + 9] = 4;
        putHalf(b, 208, HALF_0_5);
        check(DType.Q6_K, b, Map.of(
                0, 0.5f * 2 * 15,
                32, 0.5f * -3 * 16,
                64, 0.5f * 1 * -13,
                96, 0f,
                1, 0.5f * 2 * -32,
                128 + 17, 0.5f * 4 * 17));
    }

    @Test
    void q2K() {
        byte[] b = new byte[84];
        b[0] = 0x21;
        b[1] = 0x03;
        b[10] = 0x5F;
        b[16] = (byte) 0xE7;
        b[16 + 16] = 0x02;
        b[16 + 37] = 0x08;
        putHalf(b, 80, HALF_0_5);
        putHalf(b, 82, HALF_0_25);
        check(DType.Q2_K, b, Map.of(
                0, 0.5f * 1 * 3 - 0.25f * 2,
                1, -0.5f,
                16, 0.5f * 3 * 2,
                32, 0f,
                165, 0.5f * 15 * 2 - 0.25f * 5,
                133, 0f));
    }

    @Test
    void q3K() {
        byte[] b = new byte[110];
        b[0] = 0x01;
        b[8] = 0x40;
        b[32] = 0x03;
        b[32 + 17] = 0x20;
        b[32 + 40] = 0x10;
        b[96] = 0x01;
        b[96 + 4] = (byte) 0xF0;
        b[96 + 5] = 0x0E;
        b[96 + 8] = (byte) 0xC2;
        b[96 + 9] = 0x04;
        putHalf(b, 108, HALF_0_5);
        check(DType.Q3_K, b, Map.of(
                0, 0.5f * 1 * 3,
                1, 0.5f * 1 * -4,
                81, 0.5f * -2 * -2,
                200, 0.5f * 31 * 1,
                64, 0.5f * -32 * -4));
    }
}
