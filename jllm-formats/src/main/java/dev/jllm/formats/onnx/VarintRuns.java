package dev.jllm.formats.onnx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The values of a repeated varint field (int32_data, int64_data, uint64_data) as they lie in the file: packed runs are
 * kept as views and only counted until the tensor's element count is known, so a field that cannot match the dims is
 * refused without decoding (or allocating for) megabytes of varints.
 */
final class VarintRuns {
    // each entry is a packed run (MemorySegment) or one unpacked value (Long)
    private final List<Object> entries = new ArrayList<>();

    void addRun(MemorySegment run) {
        entries.add(run);
    }

    void addValue(long v) {
        entries.add(v);
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The number of values, or -1 when a packed run ends inside a varint. */
    long count() {
        long n = 0;
        for (Object e : entries) {
            if (e instanceof MemorySegment run) {
                long size = run.byteSize();
                if (size > 0 && run.get(ValueLayout.JAVA_BYTE, size - 1) < 0) {
                    return -1;
                }
                for (long i = 0; i < size; i++) {
                    n += run.get(ValueLayout.JAVA_BYTE, i) >= 0 ? 1 : 0;
                }
            } else {
                n++;
            }
        }
        return n;
    }

    /** Writes the values to {@code out} as little-endian integers of {@code size} bytes (truncating wider ones). */
    void decodeInto(MemorySegment out, int size) {
        long index = 0;
        for (Object e : entries) {
            if (e instanceof MemorySegment run) {
                long pos = 0;
                while (pos < run.byteSize()) {
                    long v = 0;
                    int shift = 0;
                    byte b;
                    do {
                        b = run.get(ValueLayout.JAVA_BYTE, pos++);
                        if (shift < 64) {
                            v |= (long) (b & 0x7F) << shift;
                        }
                        shift += 7;
                    } while (b < 0);
                    put(out, index++, size, v);
                }
            } else {
                put(out, index++, size, (Long) e);
            }
        }
    }

    private static void put(MemorySegment out, long i, int size, long v) {
        switch (size) {
            case 1 -> out.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case 2 -> out.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) v);
            case 4 -> out.set(ValueLayout.JAVA_INT_UNALIGNED, 4 * i, (int) v);
            default -> out.set(ValueLayout.JAVA_LONG_UNALIGNED, 8 * i, v);
        }
    }
}
