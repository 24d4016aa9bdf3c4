package dev.jllm.train.data;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.AtomicFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One file of token ids, memory-mapped. Layout (little-endian): a 32-byte header — magic
 * {@code JLLMTOKS}, u32 version 1, u32 bytes per token (2 for vocabularies up to 65,536 ids, else 4),
 * u64 token count, u32 vocabulary size, i32 end-of-text id (-1 for none) — then the tokens as u16 or
 * u32. Opening checks the header, the exact file size and that every id is below the vocabulary size,
 * so a corrupted or truncated file fails at once with a {@link FormatException} naming it.
 */
public final class TokenShard implements AutoCloseable {
    /** Header size in bytes. */
    public static final int HEADER_BYTES = 32;
    private static final byte[] MAGIC = "JLLMTOKS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment tokens;
    private final int width;
    private final long size;
    private final int vocabSize;
    private final int endOfTextId;

    private TokenShard(Path file, Arena arena, MemorySegment tokens, int width, long size, int vocabSize, int eot) {
        this.file = file;
        this.arena = arena;
        this.tokens = tokens;
        this.width = width;
        this.size = size;
        this.vocabSize = vocabSize;
        this.endOfTextId = eot;
    }

    /** Bytes per token for a vocabulary: 2 when every id fits in 16 bits, else 4. */
    public static int bytesPerToken(int vocabSize) {
        return vocabSize <= 65_536 ? 2 : 4;
    }

    /**
     * Writes {@code count} tokens atomically.
     *
     * @param endOfTextId the id separating documents, or -1
     * @throws IllegalArgumentException when a token is outside {@code [0, vocabSize)}
     */
    public static void write(Path file, int[] tokens, int count, int vocabSize, int endOfTextId) throws IOException {
        if (vocabSize < 1 || endOfTextId < -1 || endOfTextId >= vocabSize) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " and end-of-text id " + endOfTextId
                    + " do not fit");
        }
        for (int i = 0; i < count; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("token " + tokens[i] + " at " + i + " is outside the vocabulary of "
                        + vocabSize);
            }
        }
        int width = bytesPerToken(vocabSize);
        AtomicFile.write(file, ch -> {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(VERSION).putInt(width).putLong(count).putInt(vocabSize).putInt(endOfTextId);
            writeFully(ch, header.flip());
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                if (buf.remaining() < width) {
                    writeFully(ch, buf.flip());
                    buf.clear();
                }
                if (width == 2) {
                    buf.putShort((short) tokens[i]);
                } else {
                    buf.putInt(tokens[i]);
                }
            }
            writeFully(ch, buf.flip());
        });
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /**
     * Maps a shard and checks it.
     *
     * @throws FormatException naming the file when the header is wrong, the file is truncated or
     *                         longer than its header says, or an id is outside the vocabulary
     */
    public static TokenShard open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long bytes = ch.size();
            if (bytes < HEADER_BYTES) {
                throw new FormatException(file, -1, "header", "truncated: " + bytes + " bytes, a token shard header has "
                        + HEADER_BYTES);
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes, arena);
            for (int i = 0; i < MAGIC.length; i++) {
                if (all.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                    throw new FormatException(file, 0, "magic", "not a jllm token shard (no JLLMTOKS magic)");
                }
            }
            int version = all.get(U32, 8);
            if (version != VERSION) {
                throw new FormatException(file, 8, "version", "unsupported version " + version + " (expected " + VERSION
                        + ")");
            }
            int width = all.get(U32, 12);
            if (width != 2 && width != 4) {
                throw new FormatException(file, 12, "bytes_per_token", "must be 2 or 4, found " + width);
            }
            long count = all.get(U64, 16);
            int vocab = all.get(U32, 24);
            int eot = all.get(U32, 28);
            if (vocab < 1 || (width == 2 && vocab > 65_536)) {
                throw new FormatException(file, 24, "vocab_size", vocab + " does not fit " + width + "-byte tokens");
            }
            if (eot < -1 || eot >= vocab) {
                throw new FormatException(file, 28, "end_of_text_id", eot + " is outside the vocabulary of " + vocab);
            }
            long held = (bytes - HEADER_BYTES) / width;
            if (count < 0 || count > held) {
                throw new FormatException(file, 16, "token_count", "truncated: the header says " + count
                        + " tokens, the file holds " + held);
            }
            if (HEADER_BYTES + count * width != bytes) {
                throw new FormatException(file, HEADER_BYTES + count * width, "", (bytes - HEADER_BYTES - count * width)
                        + " bytes after the last of the " + count + " tokens");
            }
            TokenShard shard = new TokenShard(file, arena, all.asSlice(HEADER_BYTES), width, count, vocab, eot);
            shard.checkIds();
            ok = true;
            return shard;
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    // one pass over the mapped ids: a flipped bit must not reach the embedding lookup as an out-of-range id
    private void checkIds() throws FormatException {
        for (long i = 0; i < size; i++) {
            int t = get(i);
            if (t < 0 || t >= vocabSize) {
                throw new FormatException(file, HEADER_BYTES + i * width, "tokens[" + i + "]", "id " + t
                        + " is outside the vocabulary of " + vocabSize);
            }
        }
    }

    /** The token at {@code index}. */
    public int get(long index) {
        return width == 2 ? tokens.get(U16, index * 2) & 0xFFFF : tokens.get(U32, index * 4);
    }

    /** Copies {@code length} tokens from {@code from} into {@code dst[offset..]}. */
    public void read(long from, int[] dst, int offset, int length) {
        if (from < 0 || from + length > size) {
            throw new IndexOutOfBoundsException("tokens " + from + ".." + (from + length) + " of " + size);
        }
        for (int i = 0; i < length; i++) {
            dst[offset + i] = get(from + i);
        }
    }

    /** Number of tokens. */
    public long size() {
        return size;
    }

    /** The vocabulary size the ids were made with. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id separating documents, or -1. */
    public int endOfTextId() {
        return endOfTextId;
    }

    /** Bytes per token: 2 or 4. */
    public int bytesPerToken() {
        return width;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** Unmaps the file; the shard must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
