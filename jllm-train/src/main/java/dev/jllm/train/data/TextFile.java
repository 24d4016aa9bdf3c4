package dev.jllm.train.data;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A training text file: read whole as strict UTF-8. */
public final class TextFile {
    private TextFile() {
    }

    /**
     * Reads a file as UTF-8 text.
     *
     * @throws FormatException naming the file and the byte offset of the first bytes that are not UTF-8
     */
    public static String read(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(raw);
        CharBuffer out = CharBuffer.allocate(raw.length);
        CoderResult r = utf8.decode(in, out, true);
        if (r.isError()) {
            throw new FormatException(file, in.position(), "", "not valid UTF-8 text");
        }
        r = utf8.flush(out);
        if (r.isError()) {
            throw new FormatException(file, in.position(), "", "not valid UTF-8 text");
        }
        return out.flip().toString();
    }
}
