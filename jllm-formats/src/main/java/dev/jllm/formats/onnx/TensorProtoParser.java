package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code TensorProto}: dims, data_type, name and the elements from raw_data (kept as a view of the file), the
 * typed repeated fields (float_data, int32_data, int64_data, double_data, uint64_data) or external data.
 */
final class TensorProtoParser {
    // typed fields are copied to the heap; larger tensors are always stored as raw_data by exporters
    private static final long MAX_COPY_BYTES = Integer.MAX_VALUE - 16;
    // ONNX sets no limit, but no real tensor comes near it; it bounds the work a corrupt dims field causes
    private static final int MAX_RANK = 64;
    private final ExternalTensorFiles external;

    /** @param external resolves external data; null when the model is not a file on disk */
    TensorProtoParser(ExternalTensorFiles external) {
        this.external = external;
    }

    OnnxTensor parse(ProtoReader r) throws FormatException {
        long at = r.start();
        LongList dims = new LongList();
        long dataType = 0;
        String name = "";
        MemorySegment raw = null;
        List<MemorySegment> floats = new ArrayList<>();
        List<MemorySegment> doubles = new ArrayList<>();
        VarintRuns int32s = new VarintRuns();
        VarintRuns int64s = new VarintRuns();
        VarintRuns uint64s = new VarintRuns();
        Map<String, String> ext = new LinkedHashMap<>();
        long location = 0;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> {
                    varints(r, "dims", dims, MAX_RANK);
                }
                case 2 -> {
                    r.expect(ProtoReader.VARINT, "data_type");
                    dataType = r.varint();
                }
                case 3 -> throw r.error("segment", "segmented tensors are not supported");
                case 4 -> fixed(r, "float_data", 4, floats);
                case 5 -> runs(r, "int32_data", int32s);
                case 7 -> runs(r, "int64_data", int64s);
                case 8 -> name = r.string("name");
                case 9 -> {
                    if (raw != null) {
                        throw r.error("raw_data", "appears twice");
                    }
                    raw = r.bytes("raw_data");
                }
                case 10 -> fixed(r, "double_data", 8, doubles);
                case 11 -> runs(r, "uint64_data", uint64s);
                case 13 -> entry(r.message("external_data"), ext);
                case 14 -> {
                    r.expect(ProtoReader.VARINT, "data_location");
                    location = r.varint();
                }
                default -> r.skip();
            }
        }
        String path = r.path() + (name.isEmpty() ? "" : "(" + name + ")");
        OnnxDataType type = OnnxDataType.of(dataType);
        long[] shape = dims.toArray();
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw r.errorAt(at, path + ".dims", "negative dimension " + d);
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw r.errorAt(at, path + ".dims", "element count overflows");
            }
        }
        if (type == OnnxDataType.UNDEFINED) {
            throw r.errorAt(at, path + ".data_type", "is not set");
        }
        if (type.size() == 0) {
            // strings and types without a fixed size are never weights; they are kept without data
            return new OnnxTensor(name, type, shape, null, at);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, type.size());
        } catch (ArithmeticException e) {
            throw r.errorAt(at, path + ".dims", "byte size overflows");
        }
        MemorySegment data;
        if (location == 1 || !ext.isEmpty()) {
            if (external == null) {
                throw r.errorAt(at, path + ".external_data", "external data needs the model as a file on disk");
            }
            data = external.slice(ext, bytes, r, at, path);
        } else if (raw != null) {
            if (raw.byteSize() != bytes) {
                throw r.errorAt(at, path + ".raw_data", "holds " + raw.byteSize() + " bytes but " + type
                        + java.util.Arrays.toString(shape) + " needs " + bytes);
            }
            data = raw;
        } else {
            data = typed(r, at, path, type, count, bytes, floats, doubles, int32s, int64s, uint64s);
        }
        return new OnnxTensor(name, type, shape, data, at);
    }

    private static MemorySegment typed(ProtoReader r, long at, String path, OnnxDataType type, long count, long bytes,
            List<MemorySegment> floats, List<MemorySegment> doubles, VarintRuns int32s, VarintRuns int64s,
            VarintRuns uint64s)
            throws FormatException {
        return switch (type) {
            case FLOAT, COMPLEX64 -> joined(r, at, path + ".float_data", floats, bytes);
            case DOUBLE, COMPLEX128 -> joined(r, at, path + ".double_data", doubles, bytes);
            case INT64 -> widened(r, at, path + ".int64_data", int64s, count, 8);
            case UINT32, UINT64 -> widened(r, at, path + ".uint64_data", uint64s, count, type.size());
            // int32_data also carries 8- and 16-bit integers and the bit patterns of float16/bfloat16
            default -> widened(r, at, path + ".int32_data", int32s, count, type.size());
        };
    }

    // one packed run stays a view of the file; several runs or single values are joined into a copy
    private static MemorySegment joined(ProtoReader r, long at, String path, List<MemorySegment> parts, long bytes)
            throws FormatException {
        long have = 0;
        for (MemorySegment p : parts) {
            have += p.byteSize();
        }
        if (have != bytes) {
            throw r.errorAt(at, path, "holds " + have + " bytes but the dims need " + bytes);
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        if (bytes > MAX_COPY_BYTES) {
            throw r.errorAt(at, path, bytes + " bytes stored as separate values are more than this reader copies");
        }
        MemorySegment out = MemorySegment.ofArray(new byte[(int) bytes]);
        long pos = 0;
        for (MemorySegment p : parts) {
            MemorySegment.copy(p, 0, out, pos, p.byteSize());
            pos += p.byteSize();
        }
        return out;
    }

    private static MemorySegment widened(ProtoReader r, long at, String path, VarintRuns values, long count, int size)
            throws FormatException {
        long have = values.count();
        if (have != count) {
            throw r.errorAt(at, path, have < 0 ? "a packed run ends inside a varint"
                    : "holds " + have + " values but the dims need " + count);
        }
        if (count * size > MAX_COPY_BYTES) {
            throw r.errorAt(at, path, count * size + " bytes stored as varints are more than this reader copies");
        }
        MemorySegment out = MemorySegment.ofArray(new byte[(int) (count * size)]);
        values.decodeInto(out, size);
        return out;
    }

    // a repeated varint field of values: packed runs stay views until the element count is known
    private static void runs(ProtoReader r, String name, VarintRuns out) throws FormatException {
        if (r.wire() == ProtoReader.LEN) {
            out.addRun(r.bytes(name));
        } else {
            r.expect(ProtoReader.VARINT, name);
            out.addValue(r.varint());
        }
    }

    /** Reads a repeated varint field, packed or one value per tag, into {@code out}, refusing more than {@code max}. */
    static void varints(ProtoReader r, String name, LongList out, int max) throws FormatException {
        if (r.wire() == ProtoReader.LEN) {
            ProtoReader p = r.packed(name);
            while (p.hasNext()) {
                add(r, name, out, p.varint(), max);
            }
        } else {
            r.expect(ProtoReader.VARINT, name);
            add(r, name, out, r.varint(), max);
        }
    }

    private static void add(ProtoReader r, String name, LongList out, long v, int max) throws FormatException {
        if (out.size() == max) {
            throw r.error(name, "has more than " + max + " values");
        }
        out.add(v);
    }

    // a repeated fixed-width field: a packed run is one view, a single value a view of its bytes
    private static void fixed(ProtoReader r, String name, int width, List<MemorySegment> out) throws FormatException {
        if (r.wire() == ProtoReader.LEN) {
            MemorySegment run = r.bytes(name);
            if (run.byteSize() % width != 0) {
                throw r.error(name, "packed run of " + run.byteSize() + " bytes is not a multiple of " + width);
            }
            out.add(run);
        } else {
            r.expect(width == 4 ? ProtoReader.FIXED32 : ProtoReader.FIXED64, name);
            MemorySegment one = MemorySegment.ofArray(new byte[width]);
            if (width == 4) {
                one.set(ValueLayout.JAVA_INT_UNALIGNED, 0, r.fixed32());
            } else {
                one.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, r.fixed64());
            }
            out.add(one);
        }
    }

    private static void entry(ProtoReader r, Map<String, String> out) throws FormatException {
        String key = "";
        String value = "";
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> key = r.string("key");
                case 2 -> value = r.string("value");
                default -> r.skip();
            }
        }
        out.put(key, value);
    }
}
