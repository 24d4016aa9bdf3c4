package dev.jllm.formats.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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

/**
 * A safetensors file mapped read-only: an 8-byte little-endian header length, a JSON header and
 * the data buffer, whose tensors are viewed in place.
 *
 * <p>Opening checks the header length against the file and a {@value #MAX_HEADER_BYTES}-byte
 * limit, parses the JSON strictly (duplicate keys are errors), and checks every tensor's dtype,
 * shape and data offsets: in range, not overlapping and exactly shape × element size. Problems
 * are {@link FormatException}s naming the file, the offset (in the header where Jackson reports
 * one) and the tensor's field.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers larger than this are refused. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    static final String METADATA_KEY = "__metadata__";
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path file;
    private final Arena arena;
    private final MemorySegment bytes;
    private final long dataOffset;
    private final Map<String, String> metadata;
    private final List<SafetensorsTensorInfo> tensors;
    private final Map<String, SafetensorsTensorInfo> byName;

    private SafetensorsFile(Path file, Arena arena, MemorySegment bytes) throws FormatException {
        this.file = file;
        this.arena = arena;
        this.bytes = bytes;
        long size = bytes.byteSize();
        if (size < 8) {
            throw new FormatException(file, 0, "header_length", "file of " + size + " bytes is too short for a safetensors header");
        }
        long headerLength = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
            throw new FormatException(file, 0, "header_length", "header length " + Long.toUnsignedString(headerLength)
                    + " does not fit the file of " + size + " bytes (or exceeds " + MAX_HEADER_BYTES + ")");
        }
        this.dataOffset = 8 + headerLength;
        byte[] header = bytes.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root = parse(header);
        if (!root.isObject()) {
            throw new FormatException(file, 8, "header", "is not a JSON object");
        }
        long dataSize = size - dataOffset;
        Map<String, String> meta = new LinkedHashMap<>();
        List<SafetensorsTensorInfo> infos = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(e.getValue(), meta);
            } else {
                infos.add(readTensor(e.getKey(), e.getValue(), dataSize));
            }
        }
        checkOverlaps(infos);
        this.metadata = Collections.unmodifiableMap(meta);
        this.tensors = List.copyOf(infos);
        HashMap<String, SafetensorsTensorInfo> names = new HashMap<>();
        for (SafetensorsTensorInfo t : infos) {
            names.put(t.name(), t);
        }
        this.byName = names;
    }

    /**
     * Maps {@code path} read-only and reads its header.
     *
     * @throws FormatException if it is not a valid safetensors file
     * @throws IOException if it cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? arena.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new SafetensorsFile(path, arena, seg);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Reads a safetensors file held in {@code bytes}, which the caller owns and keeps alive.
     *
     * @param name the file name used in error messages (may be null)
     */
    public static SafetensorsFile from(MemorySegment bytes, Path name) throws FormatException {
        return new SafetensorsFile(name, null, bytes);
    }

    private JsonNode parse(byte[] header) throws FormatException {
        try {
            JsonNode root = JSON.readTree(header);
            if (root == null) {
                throw new FormatException(file, 8, "header", "is empty");
            }
            return root;
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null || e.getLocation().getByteOffset() < 0 ? 8 : 8 + e.getLocation().getByteOffset();
            throw new FormatException(file, at, "header", "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException | RuntimeException e) {
            // malformed UTF-8 and similar surface as plain IOExceptions (or, rarely, runtime ones) from the parser
            throw new FormatException(file, 8, "header", "invalid JSON: " + e.getMessage());
        }
    }

    private void readMetadata(JsonNode node, Map<String, String> meta) throws FormatException {
        if (!node.isObject()) {
            throw new FormatException(file, -1, METADATA_KEY, "must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new FormatException(file, -1, METADATA_KEY + "[\"" + e.getKey() + "\"]", "value must be a string, not "
                        + e.getValue().getNodeType());
            }
            meta.put(e.getKey(), e.getValue().textValue());
        }
    }

    private SafetensorsTensorInfo readTensor(String name, JsonNode node, long dataSize) throws FormatException {
        String f = "\"" + name + "\"";
        if (!node.isObject()) {
            throw new FormatException(file, -1, f, "must be an object with dtype, shape and data_offsets");
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) {
            throw new FormatException(file, -1, f + ".dtype", "missing or not a string");
        }
        SafetensorsDType dtype = SafetensorsDType.fromName(dt.textValue());
        if (dtype == null) {
            throw new FormatException(file, -1, f + ".dtype", "tensor " + name + " has unsupported dtype " + dt.textValue());
        }
        long[] shape = longs(node.get("shape"), -1, f + ".shape");
        long elements = 1;
        for (long d : shape) {
            elements = multiplyOrMinusOne(elements, d);
            if (elements < 0) {
                throw new FormatException(file, -1, f + ".shape", "element count of " + Arrays.toString(shape) + " overflows");
            }
        }
        long bytesNeeded = multiplyOrMinusOne(elements, dtype.size());
        long[] offsets = longs(node.get("data_offsets"), 2, f + ".data_offsets");
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new FormatException(file, -1, f + ".data_offsets", "[" + begin + ", " + end
                    + ") is not a range inside the data buffer of " + dataSize + " bytes");
        }
        if (bytesNeeded < 0 || end - begin != bytesNeeded) {
            throw new FormatException(file, -1, f + ".data_offsets", "holds " + (end - begin) + " bytes but " + dtype
                    + Arrays.toString(shape) + " needs " + (bytesNeeded < 0 ? "more than 2^63" : bytesNeeded));
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private long[] longs(JsonNode node, int count, String field) throws FormatException {
        if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
            throw new FormatException(file, -1, field, count >= 0 ? "must be an array of " + count + " integers"
                    : "must be an array of integers");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode n = node.get(i);
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
                throw new FormatException(file, -1, field + "[" + i + "]", n + " is not a non-negative 64-bit integer");
            }
            out[i] = n.longValue();
        }
        return out;
    }

    private static long multiplyOrMinusOne(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? -1 : lo;
    }

    private void checkOverlaps(List<SafetensorsTensorInfo> infos) throws FormatException {
        List<SafetensorsTensorInfo> sorted = new ArrayList<>(infos);
        sorted.removeIf(t -> t.byteSize() == 0);
        sorted.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).begin() < sorted.get(i - 1).end()) {
                throw new FormatException(file, -1, "\"" + sorted.get(i).name() + "\".data_offsets", "overlaps tensor "
                        + sorted.get(i - 1).name());
            }
        }
    }

    /** The file's path (null when read from memory without a name). */
    public Path path() {
        return file;
    }

    /** The {@code __metadata__} strings in header order (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensors in header order. */
    public List<SafetensorsTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, if any. */
    public Optional<SafetensorsTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The bytes of tensor {@code name}, in place.
     *
     * @throws IllegalArgumentException if there is no such tensor
     */
    public MemorySegment bytes(String name) {
        SafetensorsTensorInfo t = require(name);
        return bytes.asSlice(dataOffset + t.begin(), t.byteSize());
    }

    /**
     * A view of tensor {@code name} (a scalar has shape [1]).
     *
     * @throws IllegalArgumentException if there is no such tensor
     * @throws UnsupportedOperationException if its dtype has no jllm tensor type (read it with {@link #bytes})
     */
    public Tensor tensor(String name) {
        SafetensorsTensorInfo t = require(name);
        if (t.dtype().coreType() == null) {
            throw new UnsupportedOperationException("tensor " + name + " of " + where() + " has dtype " + t.dtype()
                    + ", which jllm reads only as raw bytes");
        }
        long[] shape = t.shape().length == 0 ? new long[] {1} : t.shape();
        return Tensor.wrap(t.dtype().coreType(), bytes(name), shape);
    }

    private SafetensorsTensorInfo require(String name) {
        SafetensorsTensorInfo t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in " + where());
        }
        return t;
    }

    private String where() {
        return file == null ? "the safetensors data" : file.toString();
    }

    /** Absolute file offset of the data buffer: 8 plus the header length. */
    public long dataOffset() {
        return dataOffset;
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
