package dev.jllm.formats.gguf;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A bounds-checked little-endian reading position in a GGUF file's bytes: every read first checks
 * that the bytes remain and otherwise throws a {@link FormatException} naming the field.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bytes;
    private final Path file;
    private final long size;
    private long pos;

    GgufCursor(MemorySegment bytes, Path file) {
        this.bytes = bytes;
        this.file = file;
        this.size = bytes.byteSize();
    }

    long position() {
        return pos;
    }

    long remaining() {
        return size - pos;
    }

    /** A FormatException at {@code offset} about {@code field}. */
    FormatException error(long offset, String field, String problem) {
        return new FormatException(file, offset, field, problem);
    }

    private void need(long n, String field) throws FormatException {
        if (n > size - pos) {
            throw error(pos, field, "needs " + n + " bytes but the file ends after " + (size - pos));
        }
    }

    int u8(String field) throws FormatException {
        need(1, field);
        return bytes.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    int i8(String field) throws FormatException {
        need(1, field);
        return bytes.get(ValueLayout.JAVA_BYTE, pos++);
    }

    short i16(String field) throws FormatException {
        need(2, field);
        short v = bytes.get(U16, pos);
        pos += 2;
        return v;
    }

    int i32(String field) throws FormatException {
        need(4, field);
        int v = bytes.get(U32, pos);
        pos += 4;
        return v;
    }

    long u32(String field) throws FormatException {
        return i32(field) & 0xFFFF_FFFFL;
    }

    long i64(String field) throws FormatException {
        need(8, field);
        long v = bytes.get(U64, pos);
        pos += 8;
        return v;
    }

    /**
     * A count or length that must fit in what remains when each item takes at least
     * {@code minItemBytes}; this bound is what keeps a hostile count from allocating.
     */
    long count(String field, long minItemBytes) throws FormatException {
        long at = pos;
        long n = i64(field);
        if (n < 0 || (minItemBytes > 0 && n > remaining() / minItemBytes)) {
            String need = n < 0 ? "" : " (at least " + (minItemBytes == 1 ? n + " bytes)"
                    : n + " × " + minItemBytes + " bytes)");
            throw error(at, field, "count " + Long.toUnsignedString(n) + need + " is larger than the "
                    + remaining() + " bytes that remain could hold");
        }
        return n;
    }

    /** A GGUF string: uint64 byte length then UTF-8 bytes (malformed bytes become U+FFFD). */
    String string(String field) throws FormatException {
        long n = count(field + ".length", 1);
        if (n > Integer.MAX_VALUE - 16) {
            throw error(pos - 8, field + ".length", "string of " + n + " bytes is too long");
        }
        byte[] b = new byte[(int) n];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }
}
