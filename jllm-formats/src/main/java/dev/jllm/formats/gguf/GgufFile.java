package dev.jllm.formats.gguf;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A GGUF file (versions 2 and 3) mapped read-only: its metadata and a {@link Tensor} view over
 * each tensor's bytes, in place and never copied, for files of any size.
 *
 * <p>Opening validates the whole header: the magic and version, every count and length against
 * the bytes that remain (so a hostile length never allocates), duplicate keys and tensor names,
 * the alignment, each tensor's type, dimensions, offset and size, and that the tensors' bytes lie
 * inside the file without overlapping. Any problem is a {@link FormatException} naming the file,
 * the byte offset and the field. Closing the file unmaps it; tensors viewed before must not be
 * used after.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    /**
     * Whether {@code file} is a regular file that starts with GGUF's magic; the one place callers tell GGUF
     * files from other model and tokenizer files.
     */
    public static boolean hasMagic(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            return false;
        }
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && (b[0] & 0xFF | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24) == MAGIC;
        }
    }

    /** The alignment when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The key that sets the alignment of the data section and tensor offsets. */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** GGML allows at most four dimensions. */
    static final int MAX_DIMS = 4;
    /** Deeper nesting of arrays than this is refused rather than recursed into. */
    static final int MAX_ARRAY_DEPTH = 16;
    /** More items than this in one array is refused: each would cost tens of bytes of heap. */
    static final int MAX_ARRAY_ITEMS = 1 << 26;

    private final Path file;
    private final Arena arena;
    private final MemorySegment bytes;
    private final int version;
    private final Map<String, GgufValue> values;
    private final Map<String, Object> metadata;
    private final Map<String, Long> valueOffsets;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path file, Arena arena, MemorySegment bytes) throws FormatException {
        this.file = file;
        this.arena = arena;
        this.bytes = bytes;
        GgufCursor in = new GgufCursor(bytes, file);
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw in.error(0, "magic", String.format("not a GGUF file (magic 0x%08x, expected \"GGUF\")", magic));
        }
        long v = in.u32("version");
        if (v != 2 && v != 3) {
            String why = Integer.reverseBytes((int) v) == 2 || Integer.reverseBytes((int) v) == 3
                    ? "big-endian GGUF files are not supported" : "only versions 2 and 3 are supported";
            throw in.error(4, "version", "version " + v + ": " + why);
        }
        this.version = (int) v;
        // each tensor info takes at least name length, n_dims, one dim, type and offset
        long tensorCount = in.count("tensor_count", 8 + 4 + 8 + 4 + 8);
        long kvCount = in.count("metadata_kv_count", 8 + 4 + 1);
        if (tensorCount > MAX_ARRAY_ITEMS) {
            throw in.error(8, "tensor_count", tensorCount + " tensors are more than the " + MAX_ARRAY_ITEMS + " jllm reads");
        }

        LinkedHashMap<String, GgufValue> vals = new LinkedHashMap<>();
        HashMap<String, Long> offsets = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = in.position();
            String key = in.string("metadata[" + i + "].key");
            if (vals.containsKey(key)) {
                throw in.error(keyAt, "metadata[" + i + "].key", "duplicate key \"" + key + "\"");
            }
            long typeAt = in.position();
            GgufValueType type = valueType(in, "metadata[" + i + "].type (" + key + ")");
            offsets.put(key, typeAt);
            vals.put(key, readValue(in, type, key, 0));
        }
        this.values = Collections.unmodifiableMap(vals);
        LinkedHashMap<String, Object> plain = new LinkedHashMap<>();
        vals.forEach((k, val) -> plain.put(k, val.plain()));
        this.metadata = Collections.unmodifiableMap(plain);
        this.valueOffsets = offsets;
        this.alignment = readAlignment();

        List<GgufTensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 1 << 12));
        long[] infoOffsets = new long[(int) Math.min(tensorCount, 1 << 12)];
        HashMap<String, GgufTensorInfo> byName = new HashMap<>();
        for (int i = 0; i < tensorCount; i++) {
            if (i == infoOffsets.length) {
                infoOffsets = Arrays.copyOf(infoOffsets, (int) Math.min(tensorCount, 2L * i));
            }
            infoOffsets[i] = in.position();
            GgufTensorInfo t = readTensorInfo(in, i);
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw in.error(infoOffsets[i], "tensor_infos[" + i + "].name", "duplicate tensor name \"" + t.name() + "\"");
            }
            infos.add(t);
        }
        long end = in.position();
        this.dataOffset = end + (alignment - end % alignment) % alignment;
        checkTensorBytes(in, infos, infoOffsets);
        this.tensors = List.copyOf(infos);
        this.tensorsByName = byName;
    }

    /**
     * Maps {@code path} read-only and reads its header.
     *
     * @throws FormatException if the file is not a valid GGUF file
     * @throws IOException if it cannot be read
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? arena.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, seg);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads a GGUF file held in {@code bytes}, which the caller owns and keeps alive.
     *
     * @param name the file name used in error messages (may be null)
     * @throws FormatException if the bytes are not a valid GGUF file
     */
    public static GgufFile from(MemorySegment bytes, Path name) throws FormatException {
        return new GgufFile(name, null, bytes);
    }

    private static GgufValueType valueType(GgufCursor in, String field) throws FormatException {
        long at = in.position();
        long id = in.u32(field);
        GgufValueType t = GgufValueType.fromId(id);
        if (t == null) {
            throw in.error(at, field, "unknown value type " + id);
        }
        return t;
    }

    private static GgufValue readValue(GgufCursor in, GgufValueType type, String field, int depth)
            throws FormatException {
        return switch (type) {
            case UINT8 -> GgufValue.of(type, in.u8(field));
            case INT8 -> GgufValue.of(type, in.i8(field));
            case UINT16 -> GgufValue.of(type, in.i16(field) & 0xFFFF);
            case INT16 -> GgufValue.of(type, (int) in.i16(field));
            case UINT32 -> GgufValue.of(type, in.u32(field));
            case INT32 -> GgufValue.of(type, in.i32(field));
            case FLOAT32 -> GgufValue.of(type, Float.intBitsToFloat(in.i32(field)));
            case BOOL -> {
                long at = in.position();
                int b = in.u8(field);
                if (b > 1) {
                    throw in.error(at, field, "boolean byte " + b + " is neither 0 nor 1");
                }
                yield GgufValue.of(type, b == 1);
            }
            case STRING -> GgufValue.of(type, in.string(field));
            case UINT64, INT64 -> GgufValue.of(type, in.i64(field));
            case FLOAT64 -> GgufValue.of(type, Double.longBitsToDouble(in.i64(field)));
            case ARRAY -> readArray(in, field, depth);
        };
    }

    private static GgufValue readArray(GgufCursor in, String field, int depth) throws FormatException {
        long at = in.position();
        if (depth >= MAX_ARRAY_DEPTH) {
            throw in.error(at, field, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
        }
        GgufValueType elem = valueType(in, field + ".element_type");
        long n = in.count(field + ".count", elem.minimumSize());
        if (n > MAX_ARRAY_ITEMS) {
            throw in.error(at + 4, field + ".count", "array of " + n + " items is longer than the "
                    + MAX_ARRAY_ITEMS + " jllm reads");
        }
        // grows with the items actually read, so a count that only just passes the bound costs nothing up front
        ArrayList<Object> items = new ArrayList<>((int) Math.min(n, 1 << 16));
        for (int i = 0; i < n; i++) {
            GgufValue item = readValue(in, elem, field + "[" + i + "]", depth + 1);
            items.add(elem == GgufValueType.ARRAY ? item : item.value());
        }
        return GgufValue.array(elem, Collections.unmodifiableList(items));
    }

    private int readAlignment() throws FormatException {
        GgufValue a = values.get(ALIGNMENT_KEY);
        if (a == null) {
            return DEFAULT_ALIGNMENT;
        }
        long at = valueOffsets.get(ALIGNMENT_KEY);
        if (!a.type().isInteger()) {
            throw new FormatException(file, at, ALIGNMENT_KEY, "must be an integer, not " + a.type());
        }
        long n = ((Number) a.value()).longValue();
        if (n <= 0 || n > (1 << 30) || Long.bitCount(n) != 1) {
            throw new FormatException(file, at, ALIGNMENT_KEY, "alignment " + n + " is not a power of two up to 2^30");
        }
        return (int) n;
    }

    private static GgufTensorInfo readTensorInfo(GgufCursor in, int i) throws FormatException {
        String f = "tensor_infos[" + i + "]";
        String name = in.string(f + ".name");
        long at = in.position();
        long nDims = in.u32(f + ".n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.error(at, f + ".n_dims", "tensor \"" + name + "\" has " + nDims + " dimensions; 1 to " + MAX_DIMS + " are allowed");
        }
        at = in.position();
        long[] dims = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < dims.length; d++) {
            dims[d] = in.i64(f + ".dims");
            if (dims[d] < 0) {
                throw in.error(at, f + ".dims", "tensor \"" + name + "\" has negative dimension " + Long.toUnsignedString(dims[d]));
            }
            elements = dims[d] == 0 || elements == 0 ? 0 : multiplyOrMinusOne(elements, dims[d]);
            if (elements < 0) {
                throw in.error(at, f + ".dims", "element count of tensor \"" + name + "\" " + Arrays.toString(dims) + " overflows");
            }
        }
        long typeAt = in.position();
        long typeId = in.u32(f + ".type");
        GgmlType type = GgmlType.of(typeId);
        if (type == null) {
            throw in.error(typeAt, f + ".type", "tensor \"" + name + "\" has GGML type id " + typeId + ", which is no GGML type "
                    + "jllm knows");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw in.error(at, f + ".dims", "row length " + dims[0] + " of tensor \"" + name + "\" is not a multiple of "
                    + type + "'s block size " + type.blockSize());
        }
        long byteSize = multiplyOrMinusOne(elements / type.blockSize(), type.blockBytes());
        if (byteSize < 0) {
            throw in.error(at, f + ".dims", "byte size of tensor \"" + name + "\" overflows");
        }
        long offset = in.i64(f + ".offset");
        return new GgufTensorInfo(name, type, dims, offset, byteSize);
    }

    private static long multiplyOrMinusOne(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? -1 : lo;
    }

    private void checkTensorBytes(GgufCursor in, List<GgufTensorInfo> infos, long[] infoOffsets) throws FormatException {
        long size = bytes.byteSize();
        Integer[] order = new Integer[infos.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            GgufTensorInfo t = infos.get(i);
            String f = "tensor_infos[" + i + "].offset";
            long at = infoOffsets[i];
            if (t.offset() < 0 || t.offset() % alignment != 0) {
                throw in.error(at, f, "offset " + Long.toUnsignedString(t.offset()) + " of tensor \"" + t.name()
                        + "\" is not a multiple of the alignment " + alignment);
            }
            if (t.offset() > size - dataOffset || t.byteSize() > size - dataOffset - t.offset()) {
                throw in.error(at, f, "tensor \"" + t.name() + "\" (" + t.byteSize() + " bytes at data offset "
                        + t.offset() + ") extends past the end of the file (" + size + " bytes, data at " + dataOffset + ")");
            }
        }
        Arrays.sort(order, (a, b) -> Long.compare(infos.get(a).offset(), infos.get(b).offset()));
        for (int k = 1; k < order.length; k++) {
            GgufTensorInfo prev = infos.get(order[k - 1]);
            GgufTensorInfo t = infos.get(order[k]);
            if (prev.byteSize() > 0 && t.byteSize() > 0 && prev.offset() + prev.byteSize() > t.offset()) {
                throw in.error(infoOffsets[order[k]], "tensor_infos[" + order[k] + "].offset", "tensor \"" + t.name()
                        + "\" overlaps tensor \"" + prev.name() + "\"");
            }
        }
    }

    /** The file's path (null when read from memory without a name). */
    public Path path() {
        return file;
    }

    /** The GGUF version: 2 or 3. */
    public int version() {
        return version;
    }

    /**
     * All metadata in file order, mapped as: uint8, int8, uint16, int16, int32 → Integer; uint32,
     * uint64, int64 → Long; float32 → Float; float64 → Double; bool → Boolean; string → String;
     * array → an unmodifiable List of the items' mapping (nested for arrays of arrays).
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The metadata with each value's GGUF type, in file order. */
    public Map<String, GgufValue> values() {
        return values;
    }

    /** Whether the metadata has {@code key}. */
    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The value of {@code key} with its GGUF type, if present. */
    public Optional<GgufValue> value(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /**
     * The string {@code key}.
     *
     * @throws FormatException if it is missing or not a string
     */
    public String getString(String key) throws FormatException {
        Object v = require(key);
        if (v instanceof String s) {
            return s;
        }
        throw typeError(key, "a string");
    }

    /** The string {@code key}, if present and a string. */
    public Optional<String> findString(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /**
     * The integer {@code key}, of any of the eight integer types.
     *
     * @throws FormatException if it is missing or not an integer
     */
    public long getLong(String key) throws FormatException {
        require(key);
        OptionalLong v = findLong(key);
        if (v.isPresent()) {
            return v.getAsLong();
        }
        throw typeError(key, "an integer");
    }

    /** The integer {@code key}, or {@code otherwise} when it is absent or not an integer. */
    public long getLong(String key, long otherwise) {
        return findLong(key).orElse(otherwise);
    }

    /** The integer {@code key}, if present and of an integer type. */
    public OptionalLong findLong(String key) {
        GgufValue v = values.get(key);
        return v != null && v.type().isInteger() ? OptionalLong.of(((Number) v.value()).longValue()) : OptionalLong.empty();
    }

    /**
     * The number {@code key} (integer or float) as a double.
     *
     * @throws FormatException if it is missing or not a number
     */
    public double getDouble(String key) throws FormatException {
        Object v = require(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw typeError(key, "a number");
    }

    /**
     * The boolean {@code key}.
     *
     * @throws FormatException if it is missing or not a boolean
     */
    public boolean getBoolean(String key) throws FormatException {
        Object v = require(key);
        if (v instanceof Boolean b) {
            return b;
        }
        throw typeError(key, "a boolean");
    }

    /**
     * The array {@code key}.
     *
     * @throws FormatException if it is missing or not an array
     */
    public List<?> getList(String key) throws FormatException {
        Object v = require(key);
        if (v instanceof List<?> l) {
            return l;
        }
        throw typeError(key, "an array");
    }

    private Object require(String key) throws FormatException {
        Object v = metadata.get(key);
        if (v == null) {
            throw new FormatException(file, -1, key, "missing metadata key");
        }
        return v;
    }

    private FormatException typeError(String key, String wanted) {
        return new FormatException(file, valueOffsets.get(key), key, "expected " + wanted + " but found "
                + values.get(key).type());
    }

    /** The tensor table in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor-table entry named {@code name}, if any. */
    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /**
     * A view of tensor {@code name} over the mapped bytes, shaped row-major (the GGUF dimensions
     * reversed: a matrix of rows of {@code ne0} elements is {@code [ne1, ne0]}).
     *
     * @throws IllegalArgumentException if there is no such tensor
     */
    public Tensor tensor(String name) {
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in " + (file == null ? "the GGUF data" : file));
        }
        return Tensor.wrap(t.type(), bytes.asSlice(dataOffset + t.offset(), t.byteSize()), t.shape());
    }

    /** The bytes of tensor {@code info} (which must come from this file), in place. */
    public MemorySegment tensorBytes(GgufTensorInfo info) {
        return bytes.asSlice(dataOffset + info.offset(), info.byteSize());
    }

    /** Absolute file offset of the data section, a multiple of {@link #alignment()}. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The alignment of the data section and of each tensor's offset. */
    public int alignment() {
        return alignment;
    }

    /** The size of the file in bytes. */
    public long fileSize() {
        return bytes.byteSize();
    }

    /** Unmaps the file (no effect for files read from memory). */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
