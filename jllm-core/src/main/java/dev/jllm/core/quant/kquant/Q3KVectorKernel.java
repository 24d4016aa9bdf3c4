package dev.jllm.core.quant.kquant;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SIMD kernel of Q3_K: plane {@code j} of a 32-byte row of {@code qs} plus bit {@code 4n + j} of
 * {@code hmask} moved to bit 2, minus 4, times {@code d·(scale − 32)} per group of 16 (see
 * {@link Q3KScalarKernel}).
 */
final class Q3KVectorKernel extends VectorKernel {
    private static final int BYTES = 110;

    Q3KVectorKernel() {
        super(DType.Q3_K);
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        checkArgs(src, offset, count, dst, dstOffset, "destination");
        int[] sc = new int[16];
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(src, at + 108);
            unpackQ3(src, at + 96, sc);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, src, at + 32 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3)
                            .or(ByteVector.fromMemorySegment(CHUNK, src, at, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 4 * n + j).reinterpretAsBytes().and((byte) 1)
                                    .reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes())
                            .sub((byte) 4);
                    for (int p = 0; p < PARTS; p++) {
                        float dl = d * sc[8 * n + 2 * j + p * LANES / 16];
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(dl)
                                .intoArray(dst, dstOffset + b * QK_K + 128 * n + 32 * j + p * LANES);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int xOffset, int count) {
        checkArgs(w, offset, count, x, xOffset, "activation");
        int[] sc = new int[16];
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        for (int b = 0; b < count / QK_K; b++) {
            long at = offset + (long) b * BYTES;
            float d = half(w, at + 108);
            unpackQ3(w, at + 96, sc);
            for (int n = 0; n < 2; n++) {
                for (int j = 0; j < 4; j++) {
                    ByteVector q = ByteVector.fromMemorySegment(CHUNK, w, at + 32 + 32 * n, LE)
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 2 * j).reinterpretAsBytes()
                            .and((byte) 3)
                            .or(ByteVector.fromMemorySegment(CHUNK, w, at, LE).reinterpretAsInts()
                                    .lanewise(VectorOperators.LSHR, 4 * n + j).reinterpretAsBytes().and((byte) 1)
                                    .reinterpretAsInts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes())
                            .sub((byte) 4);
                    int xj = xOffset + b * QK_K + 128 * n + 32 * j;
                    for (int p = 0; p < PARTS; p++) {
                        float dl = d * sc[8 * n + 2 * j + p * LANES / 16];
                        FloatVector t = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(dl)
                                .fma(FloatVector.fromArray(F, x, xj + p * LANES), acc0);
                        acc0 = acc1;
                        acc1 = t;
                    }
                }
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
