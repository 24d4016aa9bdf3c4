package dev.jllm.model.cache;

import dev.jllm.core.quant.Quantizer;
import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/**
 * The keys and values of every layer for the positions a sequence has seen, stored in F32, F16 or
 * Q8_0 and read through the same kernels as weights.
 *
 * <p>Memory grows in pages of {@link #PAGE_POSITIONS} positions as the sequence does, so a cache
 * sized for a model's whole context costs only what is used. Each position holds one row of
 * {@code headDim} values per key/value head; scores and value sums read those rows in place.
 * {@link #store} is for one thread; the read methods may run concurrently once stores are done.
 */
public final class KvCache implements AutoCloseable {
    /** Positions per page. */
    public static final int PAGE_POSITIONS = 256;
    /** The types a cache may hold. */
    public static final Set<DType> TYPES = EnumSet.of(DType.F32, DType.F16, DType.Q8_0);

    private final DType type;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final long rowBytes;
    private final long positionBytes;
    private final WeightKernel kernel;
    private final Quantizer quantizer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[][] keyPages;
    private final MemorySegment[][] valuePages;
    private final ThreadLocal<float[]> rowBuffer;

    /**
     * An empty cache.
     *
     * @param type F32, F16 or Q8_0 (Q8_0 needs a head width that is a multiple of 32)
     * @param capacity the most positions it will hold (the context length)
     * @throws IllegalArgumentException naming the parameter that is out of range
     */
    public KvCache(DType type, int layers, int kvHeads, int headDim, int capacity) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("cache type " + type + " is not supported; choose one of f32, f16, q8_0");
        }
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("cache needs positive layers, heads, head width and capacity, got "
                    + layers + ", " + kvHeads + ", " + headDim + ", " + capacity);
        }
        if (headDim % type.blockSize() != 0) {
            throw new IllegalArgumentException("cache type " + type + " needs a head width that is a multiple of "
                    + type.blockSize() + ", this model's is " + headDim);
        }
        this.type = type;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        this.rowBytes = type.bytesFor(headDim);
        this.positionBytes = rowBytes * kvHeads;
        this.kernel = WeightKernels.simd(type);
        this.quantizer = type == DType.F32 ? null : WeightKernels.quantizer(type);
        int pages = (capacity + PAGE_POSITIONS - 1) / PAGE_POSITIONS;
        this.keyPages = new MemorySegment[layers][pages];
        this.valuePages = new MemorySegment[layers][pages];
        this.rowBuffer = ThreadLocal.withInitial(() -> new float[headDim]);
    }

    /** The element type. */
    public DType type() {
        return type;
    }

    /** Values per key or value row. */
    public int headDim() {
        return headDim;
    }

    /** The most positions the cache holds. */
    public int capacity() {
        return capacity;
    }

    /**
     * Stores the keys and values of one position: {@code kvHeads·headDim} values each, from
     * {@code k[kOffset ..]} and {@code v[vOffset ..]}.
     */
    public void store(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        checkPosition(layer, position);
        int page = position / PAGE_POSITIONS;
        if (keyPages[layer][page] == null) {
            long bytes = PAGE_POSITIONS * positionBytes;
            keyPages[layer][page] = arena.allocate(bytes, 64);
            valuePages[layer][page] = arena.allocate(bytes, 64);
        }
        long at = (position % PAGE_POSITIONS) * positionBytes;
        writeRows(keyPages[layer][page], at, k, kOffset);
        writeRows(valuePages[layer][page], at, v, vOffset);
    }

    private void writeRows(MemorySegment page, long at, float[] src, int srcOffset) {
        int count = kvHeads * headDim;
        if (quantizer == null) {
            MemorySegment.copy(src, srcOffset, page, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, at, count);
        } else {
            quantizer.quantize(src, srcOffset, count, page, at);
        }
    }

    /**
     * {@code scores[scoresOffset + p − from] = q · key(p)} of head {@code kvHead} for positions
     * {@code from ≤ p < to}, with q's {@code headDim} values at {@code q[qOffset ..]}.
     */
    public void keyScores(int layer, int kvHead, float[] q, int qOffset, int from, int to, float[] scores,
            int scoresOffset) {
        checkRange(layer, kvHead, from, to);
        MemorySegment[] pages = keyPages[layer];
        long head = kvHead * rowBytes;
        for (int p = from; p < to; p++) {
            MemorySegment page = pages[p / PAGE_POSITIONS];
            scores[scoresOffset + p - from] =
                    kernel.dot(page, (p % PAGE_POSITIONS) * positionBytes + head, q, qOffset, headDim);
        }
    }

    /**
     * {@code out[outOffset ..] += Σ_p weights[weightsOffset + p − from] · value(p)} of head
     * {@code kvHead} for positions {@code from ≤ p < to}.
     */
    public void addValues(int layer, int kvHead, float[] weights, int weightsOffset, int from, int to, float[] out,
            int outOffset) {
        checkRange(layer, kvHead, from, to);
        MemorySegment[] pages = valuePages[layer];
        long head = kvHead * rowBytes;
        float[] row = rowBuffer.get();
        for (int p = from; p < to; p++) {
            MemorySegment page = pages[p / PAGE_POSITIONS];
            kernel.dequantize(page, (p % PAGE_POSITIONS) * positionBytes + head, row, 0, headDim);
            dev.jllm.core.ops.Elementwise.axpy(weights[weightsOffset + p - from], row, 0, out, outOffset, headDim);
        }
    }

    /**
     * Copies the keys of head {@code kvHead} for positions {@code from ≤ p < to} as floats, one row of
     * {@code headDim} per position, into {@code dst[dstOffset ..]} (for attention as a matrix product).
     */
    public void readKeys(int layer, int kvHead, int from, int to, float[] dst, int dstOffset) {
        read(keyPages, layer, kvHead, from, to, dst, dstOffset);
    }

    /** As {@link #readKeys}, for the values. */
    public void readValues(int layer, int kvHead, int from, int to, float[] dst, int dstOffset) {
        read(valuePages, layer, kvHead, from, to, dst, dstOffset);
    }

    private void read(MemorySegment[][] pagesOf, int layer, int kvHead, int from, int to, float[] dst,
            int dstOffset) {
        checkRange(layer, kvHead, from, to);
        MemorySegment[] pages = pagesOf[layer];
        long head = kvHead * rowBytes;
        for (int p = from; p < to; p++) {
            kernel.dequantize(pages[p / PAGE_POSITIONS], (p % PAGE_POSITIONS) * positionBytes + head, dst,
                    dstOffset + (p - from) * headDim, headDim);
        }
    }

    private void checkPosition(int layer, int position) {
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (layers - 1));
        }
        if (position < 0 || position >= capacity) {
            throw new IllegalArgumentException("position " + position + " outside the cache's context of " + capacity);
        }
    }

    private void checkRange(int layer, int kvHead, int from, int to) {
        if (layer < 0 || layer >= layers || kvHead < 0 || kvHead >= kvHeads || from < 0 || to > capacity
                || from > to) {
            throw new IllegalArgumentException("cache read of layer " + layer + ", head " + kvHead + ", positions "
                    + from + ".." + to + " is out of range");
        }
    }

    /** Frees the pages. */
    @Override
    public void close() {
        arena.close();
    }
}
