package dev.jllm.formats.gguf;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads a GGUF file's {@code general.architecture} from the first key/value pairs of its header, without
 * parsing the rest (a tokenizer's arrays can take a large vocabulary's worth of time), so that telling a T5
 * file from a decoder file costs a few reads. Writers put the architecture first; when an array comes before
 * it, the whole header is parsed instead.
 */
public final class GgufArchitecturePeek {
    private static final int MOST_KEYS_SCANNED = 64;
    private static final int LONGEST_KEY = 65536;

    private GgufArchitecturePeek() {
    }

    /** The architecture, or empty when the file is not GGUF or does not name one. */
    public static Optional<String> of(Path path) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 8192))) {
            if (Integer.reverseBytes(in.readInt()) != GgufFile.MAGIC) {
                return Optional.empty();
            }
            int version = Integer.reverseBytes(in.readInt());
            if (version < 2) {
                return full(path);
            }
            in.readLong(); // tensor count
            long keys = Long.reverseBytes(in.readLong());
            for (long k = 0; k < Math.min(keys, MOST_KEYS_SCANNED); k++) {
                String key = string(in);
                int type = Integer.reverseBytes(in.readInt());
                GgufValueType t = GgufValueType.fromId(type);
                if (t == null) {
                    throw new IOException("unknown GGUF value type " + type + " in " + path);
                }
                if (key.equals("general.architecture")) {
                    return t == GgufValueType.STRING ? Optional.of(string(in)) : Optional.empty();
                }
                if (t == GgufValueType.ARRAY) {
                    return full(path);
                }
                skip(in, t == GgufValueType.STRING ? Long.reverseBytes(in.readLong()) : t.scalarSize());
            }
            return full(path);
        }
    }

    private static Optional<String> full(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            return file.findString("general.architecture");
        }
    }

    private static String string(DataInputStream in) throws IOException {
        long length = Long.reverseBytes(in.readLong());
        if (length < 0 || length > LONGEST_KEY) {
            throw new IOException("implausible string length " + length + " in a GGUF header");
        }
        return new String(in.readNBytes((int) length), StandardCharsets.UTF_8);
    }

    private static void skip(InputStream in, long bytes) throws IOException {
        if (bytes < 0) {
            throw new IOException("bad value length " + bytes + " in a GGUF header");
        }
        in.skipNBytes(bytes);
    }
}
