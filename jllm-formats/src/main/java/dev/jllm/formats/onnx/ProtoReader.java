package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A cursor over one protobuf message in a memory segment: reads tags, varints, fixed-width numbers and
 * length-delimited payloads, never past the message's end, and names the file, field and byte offset
 * in every error.
 */
final class ProtoReader {
    /** Wire type of varints. */
    static final int VARINT = 0;
    /** Wire type of 8-byte little-endian numbers. */
    static final int FIXED64 = 1;
    /** Wire type of strings, bytes, sub-messages and packed repeated fields. */
    static final int LEN = 2;
    /** Wire type of 4-byte little-endian numbers. */
    static final int FIXED32 = 5;

    // names and keys longer than this are certainly corrupt; it also bounds the work a bad length can cause
    private static final long MAX_STRING_BYTES = 1 << 20;

    private final MemorySegment data;
    private final Path file;
    private final String path;
    private final long start;
    private final long end;
    private long pos;
    private long tagAt;
    private int wire;
    private int field;

    /**
     * @param data the whole file
     * @param file the file named in errors (may be null)
     * @param path the message's field path named in errors, e.g. {@code graph.node[3]}
     * @param start first byte of the message
     * @param end one past its last byte
     */
    ProtoReader(MemorySegment data, Path file, String path, long start, long end) {
        this.data = data;
        this.file = file;
        this.path = path;
        this.start = start;
        this.pos = start;
        this.end = end;
    }

    /** The offset of the message's first byte. */
    long start() {
        return start;
    }

    /** Whether another field follows. */
    boolean hasNext() {
        return pos < end;
    }

    /** Reads the next field's tag and returns its field number; {@link #wire()} then tells its wire type. */
    int next() throws FormatException {
        tagAt = pos;
        long tag = varint();
        wire = (int) (tag & 7);
        long number = tag >>> 3;
        if (number == 0 || number > 0x1FFF_FFFFL) {
            throw errorAt(tagAt, path, "invalid field number " + number);
        }
        if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32) {
            throw errorAt(tagAt, path, "field " + number + " has unsupported wire type " + wire);
        }
        field = (int) number;
        return field;
    }

    /** The wire type of the field last returned by {@link #next}. */
    int wire() {
        return wire;
    }

    /** Fails unless the current field has wire type {@code expected}. */
    void expect(int expected, String name) throws FormatException {
        if (wire != expected) {
            throw errorAt(tagAt, path + "." + name, "has wire type " + wire + ", expected " + expected);
        }
    }

    /** Reads a varint (up to 10 bytes). */
    long varint() throws FormatException {
        long at = pos;
        long result = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) {
                throw errorAt(at, path, "varint runs past the end of the message at " + end);
            }
            byte b = data.get(ValueLayout.JAVA_BYTE, pos++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw errorAt(at, path, "varint longer than 10 bytes");
    }

    /** Reads a varint that must fit a non-negative int, for lengths and counts. */
    int varintInt(String name) throws FormatException {
        long at = pos;
        long v = varint();
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw errorAt(at, path + "." + name, "value " + v + " is out of range");
        }
        return (int) v;
    }

    /** Reads 4 little-endian bytes. */
    int fixed32() throws FormatException {
        need(4);
        int v = data.get(ValueLayout.JAVA_INT_UNALIGNED, pos);
        pos += 4;
        return v;
    }

    /** Reads 8 little-endian bytes. */
    long fixed64() throws FormatException {
        need(8);
        long v = data.get(ValueLayout.JAVA_LONG_UNALIGNED, pos);
        pos += 8;
        return v;
    }

    /** Reads a length prefix, checks the payload lies inside the message and returns its start; the cursor moves past it. */
    long payload(String name) throws FormatException {
        long at = pos;
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw errorAt(at, path + "." + name, "length " + Long.toUnsignedString(len) + " runs past the end of the message ("
                    + (end - pos) + " bytes left)");
        }
        long from = pos;
        pos += len;
        return from;
    }

    /** A reader over the sub-message that is the current field's payload. */
    ProtoReader message(String childPath) throws FormatException {
        expect(LEN, childPath);
        long from = payload(childPath);
        return new ProtoReader(data, file, path + "." + childPath, from, pos);
    }

    /** The current field's payload as a view of the file. */
    MemorySegment bytes(String name) throws FormatException {
        expect(LEN, name);
        long from = payload(name);
        return data.asSlice(from, pos - from);
    }

    /** The current field's payload decoded as UTF-8. */
    String string(String name) throws FormatException {
        expect(LEN, name);
        long from = payload(name);
        long len = pos - from;
        if (len > MAX_STRING_BYTES) {
            throw errorAt(from, path + "." + name, "string of " + len + " bytes is longer than " + MAX_STRING_BYTES);
        }
        byte[] b = data.asSlice(from, len).toArray(ValueLayout.JAVA_BYTE);
        boolean ascii = true;
        for (byte x : b) {
            ascii &= x >= 0;
        }
        if (ascii) {
            // names are nearly always ASCII: skip the strict decoder's setup
            return new String(b, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw errorAt(from, path + "." + name, "is not valid UTF-8");
        }
    }

    /** The current field's payload decoded as UTF-8, malformed bytes replaced (attribute strings may be binary). */
    String lenientString(String name) throws FormatException {
        expect(LEN, name);
        long from = payload(name);
        if (pos - from > MAX_STRING_BYTES) {
            throw errorAt(from, path + "." + name, "string of " + (pos - from) + " bytes is longer than " + MAX_STRING_BYTES);
        }
        return new String(data.asSlice(from, pos - from).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** A reader over the current field's payload, for packed repeated numbers. */
    ProtoReader packed(String name) throws FormatException {
        return message(name);
    }

    /** Skips the current field's value. */
    void skip() throws FormatException {
        switch (wire) {
            case VARINT -> varint();
            case FIXED64 -> need(8);
            case FIXED32 -> need(4);
            default -> payload("field " + field);
        }
        if (wire == FIXED64) {
            pos += 8;
        } else if (wire == FIXED32) {
            pos += 4;
        }
    }

    private void need(int bytes) throws FormatException {
        if (end - pos < bytes) {
            throw errorAt(pos, path, bytes + "-byte value runs past the end of the message at " + end);
        }
    }

    /** The offset of the current field's tag. */
    long tagOffset() {
        return tagAt;
    }

    /** This message's field path. */
    String path() {
        return path;
    }

    /** An error at the current field's tag. */
    FormatException error(String name, String problem) {
        return errorAt(tagAt, path + "." + name, problem);
    }

    /** An error at {@code offset}. */
    FormatException errorAt(long offset, String fieldPath, String problem) {
        return new FormatException(file, offset, fieldPath, problem);
    }
}
