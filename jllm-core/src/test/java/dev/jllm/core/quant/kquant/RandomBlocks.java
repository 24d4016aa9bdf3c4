package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random K-quant super-blocks for tests: random bytes with small finite fp16 scales. */
final class RandomBlocks {
    private RandomBlocks() {
    }

    /** Byte offsets of the fp16 fields of a block of {@code type}. */
    static int[] halfFields(DType type) {
        return switch (type) {
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** {@code blocks} random blocks of {@code type} starting at byte {@code offset} of a new segment. */
    static MemorySegment make(DType type, int blocks, int offset, Random random) {
        byte[] bytes = new byte[offset + blocks * type.blockBytes() + 5];
        random.nextBytes(bytes);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int b = 0; b < blocks; b++) {
            for (int field : halfFields(type)) {
                float v = (random.nextFloat() * 2 - 1) * 0.01f;
                seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                        offset + (long) b * type.blockBytes() + field, Float.floatToFloat16(v));
            }
        }
        return seg;
    }

    /** Standard normal floats. */
    static float[] gaussian(int n, Random random) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
