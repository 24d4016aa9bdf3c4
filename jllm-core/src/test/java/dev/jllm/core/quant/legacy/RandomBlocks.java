package dev.jllm.core.quant.legacy;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random but well-formed 32-blocks for the tests: random code bytes, finite moderate scales. */
final class RandomBlocks {
    static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final DType[] TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1};

    private RandomBlocks() {
    }

    /** {@code blocks} random blocks of {@code type} at byte {@code offset} of a fresh heap segment. */
    static MemorySegment fill(DType type, int blocks, long offset, Random rnd) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) (offset + (long) blocks * type.blockBytes() + 3)]);
        byte[] bytes = new byte[type.blockBytes()];
        for (int b = 0; b < blocks; b++) {
            rnd.nextBytes(bytes);
            long o = offset + (long) b * type.blockBytes();
            MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, o, bytes.length);
            seg.set(HALF, o, Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f));
            if (type == DType.Q4_1 || type == DType.Q5_1) {
                seg.set(HALF, o + 2, Float.floatToFloat16((float) rnd.nextGaussian() * 0.2f));
            }
        }
        return seg;
    }

    static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
