package dev.jllm.core.quant.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.QuantizedActivations;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Dequantization of blocks written byte by byte, with values worked out by hand. */
class LegacyDequantizeTest {
    private final LegacyFamily family = new LegacyFamily();

    /** Checks both the SIMD and the reference kernels; the block is placed after 3 junk bytes. */
    private void check(DType type, int[] block, float[] expected) {
        assertEquals(type.blockBytes(), block.length, "hand-built block size");
        byte[] bytes = new byte[3 + block.length];
        for (int i = 0; i < block.length; i++) {
            bytes[3 + i] = (byte) block[i];
        }
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (WeightKernel k : new WeightKernel[] {family.simd(type), family.reference(type)}) {
            float[] out = new float[32];
            k.dequantize(seg, 3, out, 0, 32);
            assertArrayEquals(expected, out, type + " " + k.getClass().getSimpleName());
            float[] x = new float[32];
            for (int j = 0; j < 32; j++) {
                x[j] = j + 1;
            }
            double dot = 0;
            for (int j = 0; j < 32; j++) {
                dot += expected[j] * x[j];
            }
            assertEquals(dot, k.dot(seg, 3, x, 0, 32), 1e-4 * Math.max(1, Math.abs(dot)), type + " dot");
            // integer activations with amax 127 quantize exactly (scale 1) and their block sum
            // (under 2048) survives F16, so the quantized dot is exact too
            float[] xi = new float[32];
            xi[0] = 127;
            for (int j = 1; j < 32; j++) {
                xi[j] = (j * 37) % 101 - 50;
            }
            double exact = 0;
            for (int j = 0; j < 32; j++) {
                exact += expected[j] * xi[j];
            }
            DType format = type == DType.Q4_1 || type == DType.Q5_1 ? DType.Q8_1 : DType.Q8_0;
            QuantizedActivations qa = new QuantizedActivations(format, 32).quantize(xi, 0, 32);
            assertEquals(1f, qa.scales[0]);
            assertEquals((float) exact, k.dotQuantized(seg, 3, qa, 0, 32), type + " dotQuantized");
        }
    }

    private static int[] block(DType type) {
        return new int[type.blockBytes()];
    }

    @Test
    void q8_0() {
        int[] b = block(DType.Q8_0);
        b[0] = 0x00;
        b[1] = 0x38; // d = 0.5
        b[2] = 0x80; // -128
        b[3] = 0xFF; // -1
        b[4] = 0x01;
        b[33] = 0x7F; // element 31 = 127
        float[] e = new float[32];
        e[0] = -64f;
        e[1] = -0.5f;
        e[2] = 0.5f;
        e[31] = 63.5f;
        check(DType.Q8_0, b, e);
    }

    @Test
    void q4_0() {
        int[] b = block(DType.Q4_0);
        b[1] = 0x40; // d = 2
        java.util.Arrays.fill(b, 2, 18, 0x88); // every code 8: value 0
        b[2] = 0x0F; // element 0: 15 -> 14, element 16: 0 -> -16
        b[3] = 0x80; // element 1: 0 -> -16, element 17: 8 -> 0
        b[17] = 0xF9; // element 15: 9 -> 2, element 31: 15 -> 14
        float[] e = new float[32];
        e[0] = 14f;
        e[16] = -16f;
        e[1] = -16f;
        e[15] = 2f;
        e[31] = 14f;
        check(DType.Q4_0, b, e);
    }

    @Test
    void q4_1() {
        int[] b = block(DType.Q4_1);
        b[1] = 0x34; // d = 0.25
        b[3] = 0xBC; // m = -1
        b[4] = 0xF0; // element 0: 0 -> -1, element 16: 15 -> 2.75
        b[19] = 0x1A; // element 15: 10 -> 1.5, element 31: 1 -> -0.75
        float[] e = new float[32];
        java.util.Arrays.fill(e, -1f);
        e[16] = 2.75f;
        e[15] = 1.5f;
        e[31] = -0.75f;
        check(DType.Q4_1, b, e);
    }

    @Test
    void q5_0() {
        int[] b = block(DType.Q5_0);
        b[1] = 0x3C; // d = 1
        // qh = 0x80010001: fifth bits of elements 0, 16 and 31
        b[2] = 0x01;
        b[4] = 0x01;
        b[5] = 0x80;
        b[6] = 0x0F; // element 0: 15|16 -> 15, element 16: 0|16 -> 0
        b[21] = 0x30; // element 15: 0 -> -16, element 31: 3|16 -> 3
        float[] e = new float[32];
        java.util.Arrays.fill(e, -16f);
        e[0] = 15f;
        e[16] = 0f;
        e[31] = 3f;
        check(DType.Q5_0, b, e);
    }

    @Test
    void q5_1() {
        int[] b = block(DType.Q5_1);
        b[1] = 0x38; // d = 0.5
        b[3] = 0x3C; // m = 1
        // qh = 0x00400002: fifth bits of elements 1 and 22
        b[4] = 0x02;
        b[6] = 0x40;
        b[9] = 0x21; // element 1: 1|16 = 17 -> 9.5, element 17: 2 -> 2
        b[14] = 0x70; // element 6: 0 -> 1, element 22: 7|16 = 23 -> 12.5
        float[] e = new float[32];
        java.util.Arrays.fill(e, 1f);
        e[1] = 9.5f;
        e[17] = 2f;
        e[22] = 12.5f;
        check(DType.Q5_1, b, e);
    }

    @Test
    void badCountsAndRangesAreRejected() {
        MemorySegment seg = MemorySegment.ofArray(new byte[1024]);
        for (DType t : RandomBlocks.TYPES) {
            for (WeightKernel k : new WeightKernel[] {family.simd(t), family.reference(t)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> k.dequantize(seg, 0, new float[64], 0, 40));
                assertTrue(e.getMessage().contains("40"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> k.dot(seg, 0, new float[64], 0, 33));
                assertTrue(e.getMessage().contains("33"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> k.dot(seg, 0, new float[40], 16, 32));
                assertTrue(e.getMessage().contains("40"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> k.dot(seg, 1020, new float[64], 0, 32));
                assertTrue(e.getMessage().contains("1024"), e.getMessage());
                QuantizedActivations q80 = new QuantizedActivations(DType.Q8_0, 64).quantize(new float[64], 0, 64);
                if (t == DType.Q4_1 || t == DType.Q5_1) {
                    e = assertThrows(IllegalArgumentException.class, () -> k.dotQuantized(seg, 0, q80, 0, 32));
                    assertTrue(e.getMessage().contains("Q8_1"), e.getMessage());
                } else {
                    e = assertThrows(IllegalArgumentException.class, () -> k.dotQuantized(seg, 0, q80, 16, 32));
                    assertTrue(e.getMessage().contains("16"), e.getMessage());
                }
            }
        }
    }
}
