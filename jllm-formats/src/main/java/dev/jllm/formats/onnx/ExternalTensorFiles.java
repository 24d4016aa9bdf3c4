package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The files that hold tensors stored outside the model ({@code data_location = EXTERNAL}): each {@code location}
 * is resolved in the model's folder (and may not leave it), mapped once in the model's arena, and sliced at the
 * entry's {@code offset} and {@code length}.
 */
final class ExternalTensorFiles {
    private final Path folder;
    private final Arena arena;
    private final Map<Path, MemorySegment> mapped = new HashMap<>();

    ExternalTensorFiles(Path folder, Arena arena) {
        this.folder = folder.toAbsolutePath().normalize();
        this.arena = arena;
    }

    MemorySegment slice(Map<String, String> entries, long bytes, ProtoReader r, long at, String path)
            throws FormatException {
        String location = entries.get("location");
        if (location == null || location.isEmpty()) {
            throw r.errorAt(at, path + ".external_data", "has no location");
        }
        Path file;
        try {
            file = folder.resolve(location).normalize();
        } catch (InvalidPathException e) {
            throw r.errorAt(at, path + ".external_data.location", "\"" + location + "\" is not a valid path");
        }
        if (!file.startsWith(folder) || file.equals(folder)) {
            throw r.errorAt(at, path + ".external_data.location", "\"" + location + "\" is outside the model's folder");
        }
        long offset = number(entries, "offset", 0, r, at, path);
        long length = number(entries, "length", bytes, r, at, path);
        if (length != bytes) {
            throw r.errorAt(at, path + ".external_data.length", "is " + length + " but the dims need " + bytes);
        }
        MemorySegment whole = map(file, r, at, path);
        if (offset > whole.byteSize() || bytes > whole.byteSize() - offset) {
            throw r.errorAt(at, path + ".external_data", "bytes " + offset + ".." + (offset + bytes) + " lie outside "
                    + file + " (" + whole.byteSize() + " bytes)");
        }
        return whole.asSlice(offset, bytes);
    }

    private MemorySegment map(Path file, ProtoReader r, long at, String path) throws FormatException {
        MemorySegment seg = mapped.get(file);
        if (seg != null) {
            return seg;
        }
        if (!Files.isRegularFile(file)) {
            throw r.errorAt(at, path + ".external_data.location", "file " + file + " does not exist");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (IOException e) {
            throw r.errorAt(at, path + ".external_data.location", "cannot read " + file + ": " + e.getMessage());
        }
        mapped.put(file, seg);
        return seg;
    }

    private static long number(Map<String, String> entries, String key, long fallback, ProtoReader r, long at, String path)
            throws FormatException {
        String v = entries.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw r.errorAt(at, path + ".external_data." + key, "\"" + v + "\" is not a non-negative integer");
        }
    }
}
