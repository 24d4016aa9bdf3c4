package dev.jllm.formats.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ids one at a time for streaming output. A token that ends inside a UTF-8 character
 * (byte-fallback and byte-level tokens can) is held back until the bytes that complete it arrive.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean atStart = true;

    /** A decoder for the given tokenizer, at the start of a text. */
    public StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds one id and returns the text that became complete (possibly empty). */
    public String next(int id) {
        byte[] piece = tokenizer.pieceBytes(id, atStart);
        if (piece.length > 0) {
            atStart = false;
        }
        pending.writeBytes(piece);
        byte[] buf = pending.toByteArray();
        int complete = completePrefix(buf);
        pending.reset();
        pending.write(buf, complete, buf.length - complete);
        return new String(buf, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns what is still held back (invalid UTF-8 becomes U+FFFD) and resets to the start. */
    public String finish() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        atStart = true;
        return rest;
    }

    // Length of the longest prefix that does not end inside an incomplete UTF-8 sequence.
    private static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= 3 && back <= n; back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for the lead byte
            }
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back && c >= 0xC0 && c < 0xF8 ? n - back : n;
        }
        return n;
    }
}
