package dev.jllm.formats.gguf;

import static dev.jllm.formats.io.ChannelWrites.writeFully;
import static dev.jllm.formats.io.ChannelWrites.writeSegment;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.io.AtomicFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a GGUF version 3 file from metadata and tensors and writes it atomically.
 *
 * <p>Metadata keeps insertion order. Each value carries its GGUF type, so the caller decides
 * for instance whether a count is UINT32 or UINT64. Tensors are given row-major shapes (as
 * {@link Tensor} uses them) and written with GGUF's reversed dimensions; their data is either a
 * segment or a callback that streams the bytes, so a tensor larger than memory can be written.
 * The data section and every tensor are aligned to {@code general.alignment} (32 by default).
 */
public final class GgufWriter {

    /** Streams a tensor's bytes; it must write exactly the tensor's byte size. */
    @FunctionalInterface
    public interface TensorContent {
        /** Writes the tensor's bytes to {@code out}. */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, int typeId, long[] shape, long byteSize, TensorContent content) {
    }

    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final java.util.Set<String> tensorNames = new java.util.HashSet<>();

    /**
     * Sets metadata {@code key} to {@code value} (replacing an earlier value of the key).
     *
     * @throws IllegalArgumentException if the Java value does not fit the GGUF type
     */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        check(value, key);
        metadata.put(key, value);
        return this;
    }

    /** Sets every entry of {@code values}, e.g. all of {@link GgufFile#values()}. */
    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    /** Sets a STRING value. */
    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.string(value));
    }

    /** Sets a UINT32 value (0 to 2^32-1). */
    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValue.uint32(value));
    }

    /** Sets an INT32 value. */
    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.int32(value));
    }

    /** Sets a UINT64 value. */
    public GgufWriter putUint64(String key, long value) {
        return put(key, GgufValue.uint64(value));
    }

    /** Sets an INT64 value. */
    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValue.of(GgufValueType.INT64, value));
    }

    /** Sets a FLOAT32 value. */
    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.float32(value));
    }

    /** Sets a FLOAT64 value. */
    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValue.of(GgufValueType.FLOAT64, value));
    }

    /** Sets a BOOL value. */
    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.bool(value));
    }

    /** Sets an array of {@code elementType}; for arrays of arrays the items are ARRAY {@link GgufValue}s. */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> items) {
        return put(key, GgufValue.array(elementType, items));
    }

    /**
     * Adds a tensor whose bytes are {@code data}, which must stay valid until {@link #write}.
     *
     * @param shape row-major shape, the last dimension being the row
     * @throws IllegalArgumentException on a duplicate name, a type GGUF cannot store, a bad shape or
     *     a segment whose size does not match the shape
     */
    public GgufWriter addTensor(String name, DType type, long[] shape, MemorySegment data) {
        long bytes = checkTensor(name, type, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor \"" + name + "\" " + type + Arrays.toString(shape) + " needs "
                    + bytes + " bytes but its segment holds " + data.byteSize());
        }
        return add(new Entry(name, type.ggmlId(), shape.clone(), bytes, out -> writeSegment(out, data)));
    }

    /**
     * Adds a tensor of any GGML type, including those jllm has no kernels for, whose bytes are {@code data}.
     *
     * @param shape row-major shape, the last dimension being the row (a whole number of blocks)
     * @throws IllegalArgumentException on a duplicate name, a bad shape or a segment of the wrong size
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        Objects.requireNonNull(type, "type");
        checkName(name, shape);
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor \"" + name + "\": rows of " + shape[shape.length - 1]
                    + " elements are not whole " + type + " blocks of " + type.blockSize());
        }
        long bytes = Math.multiplyExact(elements / type.blockSize(), type.blockBytes());
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor \"" + name + "\" " + type + Arrays.toString(shape) + " needs "
                    + bytes + " bytes but its segment holds " + data.byteSize());
        }
        return add(new Entry(name, type.id(), shape.clone(), bytes, out -> writeSegment(out, data)));
    }

    /** Adds {@code tensor}'s type, shape and bytes under {@code name}. */
    public GgufWriter addTensor(String name, Tensor tensor) {
        return addTensor(name, tensor.type(), tensor.shape(), tensor.data());
    }

    /**
     * Adds a tensor whose bytes {@code content} streams when the file is written.
     *
     * @param shape row-major shape, the last dimension being the row
     * @throws IllegalArgumentException on a duplicate name, a type GGUF cannot store or a bad shape
     */
    public GgufWriter addTensor(String name, DType type, long[] shape, TensorContent content) {
        long bytes = checkTensor(name, type, shape);
        return add(new Entry(name, type.ggmlId(), shape.clone(), bytes, Objects.requireNonNull(content, "content")));
    }

    private GgufWriter add(Entry e) {
        tensorNames.add(e.name());
        tensors.add(e);
        return this;
    }

    private long checkTensor(String name, DType type, long[] shape) {
        checkName(name, shape);
        if (type.ggmlId() < 0) {
            throw new IllegalArgumentException("tensor \"" + name + "\": " + type + " has no GGML type id and cannot be stored in GGUF");
        }
        return Tensor.byteSize(type, shape);
    }

    private void checkName(String name, long[] shape) {
        Objects.requireNonNull(name, "name");
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor name \"" + name + "\"");
        }
        if (shape.length < 1 || shape.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor \"" + name + "\" has " + shape.length + " dimensions; GGUF allows 1 to "
                    + GgufFile.MAX_DIMS);
        }
    }

    /** The alignment the file will use: {@code general.alignment} if set, otherwise 32. */
    public int alignment() {
        GgufValue a = metadata.get(GgufFile.ALIGNMENT_KEY);
        if (a == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        long n = a.type().isInteger() ? ((Number) a.value()).longValue() : -1;
        if (n <= 0 || n > (1 << 30) || Long.bitCount(n) != 1) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be an integer power of two up to 2^30, not " + a);
        }
        return (int) n;
    }

    /**
     * Writes the file to {@code target} atomically.
     *
     * @throws IOException if writing fails (the target is then unchanged)
     * @throws IllegalStateException if a tensor's content callback writes the wrong number of bytes
     */
    public void write(Path target) throws IOException {
        int align = alignment();
        byte[] header = header(align);
        AtomicFile.write(target, ch -> writeBody(ch, header, align));
    }

    private byte[] header(int align) {
        LittleEndianBytes out = new LittleEndianBytes();
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            writeValue(out, e.getValue().type(), e.getValue().elementType(), e.getValue().value());
        }
        long offset = 0;
        for (Entry t : tensors) {
            out.string(t.name());
            out.u32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                out.u64(t.shape()[d]);
            }
            out.u32(t.typeId());
            out.u64(offset);
            offset = padded(offset + t.byteSize(), align);
        }
        return out.toByteArray();
    }

    private static void writeValue(LittleEndianBytes out, GgufValueType type, GgufValueType elementType, Object v) {
        switch (type) {
            case UINT8, INT8, BOOL -> out.u8(v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).intValue());
            case UINT16, INT16 -> out.u16(((Number) v).intValue());
            case UINT32, INT32 -> out.u32(((Number) v).intValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case UINT64, INT64 -> out.u64(((Number) v).longValue());
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case STRING -> out.string((String) v);
            case ARRAY -> {
                List<?> items = (List<?>) v;
                out.u32(elementType.id());
                out.u64(items.size());
                for (Object item : items) {
                    if (item instanceof GgufValue g) {
                        writeValue(out, g.type(), g.elementType(), g.value());
                    } else {
                        writeValue(out, elementType, null, item);
                    }
                }
            }
        }
    }

    private void writeBody(FileChannel ch, byte[] header, int align) throws IOException {
        writeFully(ch, ByteBuffer.wrap(header));
        long pos = header.length;
        pos = pad(ch, pos, align);
        long dataStart = pos;
        for (Entry t : tensors) {
            CountingChannel counted = new CountingChannel(ch);
            t.content().writeTo(counted);
            if (counted.written != t.byteSize()) {
                throw new IllegalStateException("tensor \"" + t.name() + "\" should have " + t.byteSize()
                        + " bytes but its content wrote " + counted.written);
            }
            pos = pad(ch, pos + t.byteSize(), align);
        }
        ch.truncate(Math.max(pos, dataStart));
    }

    private static long padded(long n, int align) {
        return n + (align - n % align) % align;
    }

    private static long pad(FileChannel ch, long pos, int align) throws IOException {
        int n = (int) (padded(pos, align) - pos);
        if (n > 0) {
            writeFully(ch, ByteBuffer.allocate(n));
        }
        return pos + n;
    }

    /** Checks that a value's Java type fits its GGUF type, so that writing cannot fail half way. */
    private static void check(GgufValue v, String where) {
        check(v.type(), v.elementType(), v.value(), where);
    }

    private static void check(GgufValueType type, GgufValueType elementType, Object v, String where) {
        Objects.requireNonNull(v, where);
        switch (type) {
            case BOOL -> require(v instanceof Boolean, type, v, where);
            case STRING -> require(v instanceof String, type, v, where);
            case FLOAT32, FLOAT64 -> require(v instanceof Number, type, v, where);
            case UINT8 -> range(v, 0, 0xFF, type, where);
            case INT8 -> range(v, Byte.MIN_VALUE, Byte.MAX_VALUE, type, where);
            case UINT16 -> range(v, 0, 0xFFFF, type, where);
            case INT16 -> range(v, Short.MIN_VALUE, Short.MAX_VALUE, type, where);
            case UINT32 -> range(v, 0, 0xFFFF_FFFFL, type, where);
            case INT32 -> range(v, Integer.MIN_VALUE, Integer.MAX_VALUE, type, where);
            case UINT64, INT64 -> range(v, Long.MIN_VALUE, Long.MAX_VALUE, type, where);
            case ARRAY -> {
                require(v instanceof List<?>, type, v, where);
                Objects.requireNonNull(elementType, where + ": array without an element type");
                List<?> items = (List<?>) v;
                for (int i = 0; i < items.size(); i++) {
                    Object item = items.get(i);
                    if (elementType == GgufValueType.ARRAY) {
                        if (!(item instanceof GgufValue g) || g.type() != GgufValueType.ARRAY) {
                            throw new IllegalArgumentException(where + "[" + i + "]: items of an array of arrays must be "
                                    + "ARRAY GgufValues, not " + item);
                        }
                        check(g, where + "[" + i + "]");
                    } else {
                        check(elementType, null, item, where + "[" + i + "]");
                    }
                }
            }
        }
    }

    private static void require(boolean ok, GgufValueType type, Object v, String where) {
        if (!ok) {
            throw new IllegalArgumentException(where + ": " + v.getClass().getSimpleName() + " " + v + " is not a " + type);
        }
    }

    private static void range(Object v, long min, long max, GgufValueType type, String where) {
        boolean integral = v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
        require(integral, type, v, where);
        long n = ((Number) v).longValue();
        if (n < min || n > max) {
            throw new IllegalArgumentException(where + ": " + n + " is out of range for " + type);
        }
    }

    /** Counts the bytes a tensor's content callback writes. */
    private static final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        long written;

        CountingChannel(WritableByteChannel out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = out.write(src);
            written += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // the file stays open for the next tensor
        }
    }

    /** A growing little-endian byte buffer for the header. */
    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        void u8(int v) {
            write(v);
        }

        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }
    }
}
