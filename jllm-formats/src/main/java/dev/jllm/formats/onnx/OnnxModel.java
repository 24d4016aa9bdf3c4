package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * An ONNX model file read for its weights and graph: the file is memory-mapped and its protobuf parsed without a
 * protobuf library; initializers stored as {@code raw_data} stay views of the mapping, so opening a model of any
 * size costs only the graph's structure. Tensors stay valid until {@link #close}.
 */
public final class OnnxModel implements AutoCloseable {
    private final Path file;
    private final Arena arena;
    private final long irVersion;
    private final String producer;
    private final Map<String, Long> opsets;
    private final OnnxGraph graph;

    private OnnxModel(Path file, Arena arena, ModelProtoParser.Parsed parsed) {
        this.file = file;
        this.arena = arena;
        this.irVersion = parsed.irVersion();
        this.producer = parsed.producer();
        this.opsets = parsed.opsets();
        this.graph = parsed.graph();
    }

    /**
     * Maps {@code path} read-only and parses it; external data files are looked up next to it.
     *
     * @throws FormatException naming the file, field and byte offset when it is not a readable ONNX model
     * @throws IOException if it cannot be read
     */
    public static OnnxModel open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Path folder = path.toAbsolutePath().getParent();
            ExternalTensorFiles external = folder == null ? null : new ExternalTensorFiles(folder, arena);
            return new OnnxModel(path, arena, new ModelProtoParser(seg, path, external).parse());
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a model held in {@code bytes}, which the caller owns and keeps alive; tensors with external data are
     * rejected.
     *
     * @param name the file named in errors (may be null)
     */
    public static OnnxModel from(MemorySegment bytes, Path name) throws FormatException {
        return new OnnxModel(name, null, new ModelProtoParser(bytes, name, null).parse());
    }

    /** The file (or the name given to {@link #from}). */
    public Path path() {
        return file;
    }

    /** The IR version ({@code ir_version}). */
    public long irVersion() {
        return irVersion;
    }

    /** The exporter ({@code producer_name}, e.g. {@code pytorch}). */
    public String producer() {
        return producer;
    }

    /** The operator set version imported for {@code domain} ("" for the default ONNX domain), or 0. */
    public long opsetVersion(String domain) {
        return opsets.getOrDefault(domain, 0L);
    }

    /** The opset imports, domain to version. */
    public Map<String, Long> opsets() {
        return opsets;
    }

    /** The main graph. */
    public OnnxGraph graph() {
        return graph;
    }

    /** Unmaps the file (and any external data files); tensors are invalid afterwards. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
