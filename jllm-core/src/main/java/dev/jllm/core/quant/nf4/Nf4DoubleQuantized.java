package dev.jllm.core.quant.nf4;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A matrix in QLoRA's double-quantized NF4 ("DQ"), as bitsandbytes stores it with
 * {@code compress_statistics=True}: NF4 codes in blocks of 64 (packed as {@code DType.NF4} packs
 * them), and the blocks' absmax values themselves quantized. The mean absmax over the whole
 * tensor is subtracted, and the centred values are coded with the 8-bit {@link DynamicCode8} in
 * groups of 256 blocks, each group scaled by its own F32 absmax. That costs
 * 4 + 8/64 + 32/(64·256) ≈ 4.127 bits per parameter instead of 4.5 for plain NF4.
 *
 * <p>Blocks run through the matrix row after row; each row is a whole number of blocks.
 */
public final class Nf4DoubleQuantized {
    /** Elements per NF4 block. */
    public static final int BLOCK = Nf4BlockLayout.BLOCK;
    /** Blocks per group of the second quantization. */
    public static final int GROUP = 256;

    private final int rows;
    private final int cols;
    private final MemorySegment codes;
    private final byte[] absmaxCodes;
    private final float[] groupScales;
    private final float absmaxMean;

    private Nf4DoubleQuantized(int rows, int cols, MemorySegment codes, byte[] absmaxCodes, float[] groupScales,
            float absmaxMean) {
        this.rows = rows;
        this.cols = cols;
        this.codes = codes;
        this.absmaxCodes = absmaxCodes;
        this.groupScales = groupScales;
        this.absmaxMean = absmaxMean;
    }

    /**
     * Quantizes the {@code rows × cols} row-major matrix at {@code w[offset ..]}.
     *
     * @throws IllegalArgumentException if {@code cols} is not a positive multiple of 64, {@code rows}
     *     is not positive, or the array is too short
     */
    public static Nf4DoubleQuantized quantize(float[] w, int offset, int rows, int cols) {
        if (rows <= 0 || cols <= 0 || cols % BLOCK != 0) {
            throw new IllegalArgumentException("double-quantized NF4 needs rows > 0 and cols a positive multiple of "
                    + BLOCK + ", got " + rows + " × " + cols);
        }
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE || offset < 0 || offset > w.length - n) {
            throw new IllegalArgumentException("matrix " + rows + " × " + cols + " at offset " + offset
                    + " does not fit an array of length " + w.length);
        }
        int blocks = (int) (n / BLOCK);
        byte[] packed = new byte[(int) (n / 2)];
        float[] absmax = new float[blocks];
        double total = 0;
        for (int b = 0; b < blocks; b++) {
            absmax[b] = Nf4Quantizer.quantizeBlock(w, offset + b * BLOCK, packed, b * 32);
            total += absmax[b];
        }
        float mean = (float) (total / blocks);
        int groups = (blocks + GROUP - 1) / GROUP;
        byte[] absmaxCodes = new byte[blocks];
        float[] scales = new float[groups];
        for (int g = 0; g < groups; g++) {
            int end = Math.min(blocks, (g + 1) * GROUP);
            float scale = 0;
            for (int b = g * GROUP; b < end; b++) {
                scale = Math.max(scale, Math.abs(absmax[b] - mean));
            }
            float inverse = scale == 0 ? 0 : 1 / scale;
            for (int b = g * GROUP; b < end; b++) {
                absmaxCodes[b] = (byte) DynamicCode8.code((absmax[b] - mean) * inverse);
            }
            scales[g] = scale;
        }
        return new Nf4DoubleQuantized(rows, cols, MemorySegment.ofArray(packed), absmaxCodes, scales, mean);
    }

    /** Rows of the matrix. */
    public int rows() {
        return rows;
    }

    /** Columns of the matrix. */
    public int cols() {
        return cols;
    }

    /** The absmax of block {@code block} as the second quantization restores it. */
    public float blockAbsmax(int block) {
        return DynamicCode8.value(absmaxCodes[block] & 0xff) * groupScales[block / GROUP] + absmaxMean;
    }

    /** Bytes held: codes, 8-bit absmax codes, one F32 scale per group and the F32 mean. */
    public long byteSize() {
        return codes.byteSize() + absmaxCodes.length + 4L * groupScales.length + 4;
    }

    /** Storage per parameter in bits. */
    public double bitsPerParameter() {
        return byteSize() * 8.0 / ((double) rows * cols);
    }

    /** Writes row {@code row} as floats to {@code dst[dstOffset .. dstOffset + cols)}. */
    public void dequantizeRow(int row, float[] dst, int dstOffset) {
        checkRow(row, dst, dstOffset, "destination");
        int firstBlock = row * (cols / BLOCK);
        for (int b = 0; b < cols / BLOCK; b++) {
            float absmax = blockAbsmax(firstBlock + b);
            long codeOffset = (long) (firstBlock + b) * 32;
            int out = dstOffset + b * BLOCK;
            for (int i = 0; i < 32; i++) {
                int p = codes.get(ValueLayout.JAVA_BYTE, codeOffset + i) & 0xff;
                dst[out + 2 * i] = Nf4Codebook.level(p >>> 4) * absmax;
                dst[out + 2 * i + 1] = Nf4Codebook.level(p & 15) * absmax;
            }
        }
    }

    /** The whole matrix as floats, row-major. */
    public float[] dequantize() {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(r, out, r * cols);
        }
        return out;
    }

    /** Σ row[i]·x[xOffset + i] with the vector kernel of NF4. */
    public float dotRow(int row, float[] x, int xOffset) {
        if (!Nf4SimdKernel.SUPPORTED) {
            return dotRowReference(row, x, xOffset);
        }
        checkRow(row, x, xOffset, "activation");
        int firstBlock = row * (cols / BLOCK);
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_PREFERRED);
        for (int b = 0; b < cols / BLOCK; b++) {
            acc = Nf4SimdKernel.codesDot(codes, (long) (firstBlock + b) * 32, x, xOffset + b * BLOCK)
                    .fma(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, blockAbsmax(firstBlock + b)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Scalar twin of {@link #dotRow}. */
    public float dotRowReference(int row, float[] x, int xOffset) {
        checkRow(row, x, xOffset, "activation");
        int firstBlock = row * (cols / BLOCK);
        float sum = 0;
        for (int b = 0; b < cols / BLOCK; b++) {
            sum += blockAbsmax(firstBlock + b)
                    * Nf4ReferenceKernel.codesDot(codes, (long) (firstBlock + b) * 32, x, xOffset + b * BLOCK);
        }
        return sum;
    }

    private void checkRow(int row, float[] a, int offset, String what) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("row " + row + " is outside 0.." + (rows - 1));
        }
        if (offset < 0 || offset > a.length - cols) {
            throw new IllegalArgumentException(what + " range [" + offset + ", " + offset + " + " + cols
                    + ") is outside an array of length " + a.length);
        }
    }
}
