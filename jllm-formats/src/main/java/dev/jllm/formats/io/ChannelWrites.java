package dev.jllm.formats.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Writing whole buffers and segments to a channel, as every jllm file writer does. */
public final class ChannelWrites {
    private static final int CHUNK = 1 << 20;

    private ChannelWrites() {
    }

    /** Writes every remaining byte of {@code buf} (a channel may take fewer per call). */
    public static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** Writes all bytes of {@code data}, native or heap, in chunks of at most 1 MiB. */
    public static void writeSegment(WritableByteChannel out, MemorySegment data) throws IOException {
        // heap segments over arrays other than byte[] have no ByteBuffer view: copy those in chunks
        byte[] chunk = data.isNative() ? null : new byte[(int) Math.min(CHUNK, data.byteSize())];
        for (long off = 0; off < data.byteSize(); off += CHUNK) {
            int n = (int) Math.min(CHUNK, data.byteSize() - off);
            if (chunk == null) {
                writeFully(out, data.asSlice(off, n).asByteBuffer());
            } else {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                writeFully(out, ByteBuffer.wrap(chunk, 0, n));
            }
        }
    }
}
