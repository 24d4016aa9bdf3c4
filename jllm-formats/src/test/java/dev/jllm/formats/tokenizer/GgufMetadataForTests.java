package dev.jllm.formats.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads just the metadata of a GGUF file, with the value mapping of GgufFile.metadata(), so the
 * tokenizer suites run before the project's GGUF reader is merged. Test code only.
 */
final class GgufMetadataForTests {
    private GgufMetadataForTests() {
    }

    static Map<String, Object> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747) {
            throw new IOException(file + ": not GGUF");
        }
        b.getInt(); // version
        b.getLong(); // tensor count
        long kv = b.getLong();
        Map<String, Object> md = new LinkedHashMap<>();
        for (long i = 0; i < kv; i++) {
            String key = string(b);
            md.put(key, value(b, b.getInt()));
        }
        return md;
    }

    private static String string(ByteBuffer b) {
        int len = (int) b.getLong();
        byte[] s = new byte[len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object value(ByteBuffer b, int type) {
        return switch (type) {
            case 0 -> b.get() & 0xFF;
            case 1 -> (int) b.get();
            case 2 -> b.getShort() & 0xFFFF;
            case 3 -> (int) b.getShort();
            case 4 -> b.getInt() & 0xFFFFFFFFL;
            case 5 -> b.getInt();
            case 6 -> b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> string(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                List<Object> l = new ArrayList<>((int) n);
                for (long k = 0; k < n; k++) {
                    l.add(value(b, et));
                }
                yield l;
            }
            case 10, 11 -> b.getLong();
            case 12 -> b.getDouble();
            default -> throw new IllegalStateException("GGUF type " + type);
        };
    }
}
