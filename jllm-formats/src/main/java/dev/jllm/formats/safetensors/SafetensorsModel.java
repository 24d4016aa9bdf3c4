package dev.jllm.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The tensors of a model stored as one or several safetensors files, seen as one set of names.
 *
 * <p>{@link #open} takes a single {@code .safetensors} file, a {@code model.safetensors.index.json}
 * (whose {@code weight_map} maps each tensor to its shard file), or a folder holding either (an
 * index, else every {@code *.safetensors} file in it). Every tensor the index names must be in
 * its shard, and no name may appear in two shards.
 */
public final class SafetensorsModel implements AutoCloseable {
    /** The index file Hugging Face writes next to sharded weights. */
    public static final String INDEX_NAME = "model.safetensors.index.json";
    private static final long MAX_INDEX_BYTES = 100L << 20;

    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;
    private final List<SafetensorsTensorInfo> tensors;

    private SafetensorsModel(List<SafetensorsFile> files, Map<String, SafetensorsFile> owner,
            List<SafetensorsTensorInfo> tensors) {
        this.files = List.copyOf(files);
        this.owner = owner;
        this.tensors = Collections.unmodifiableList(tensors);
    }

    /**
     * Opens the model at {@code path}: a safetensors file, an index, or a folder.
     *
     * @throws FormatException if a file or the index is malformed or inconsistent
     * @throws IOException if a file cannot be read, or a folder holds no safetensors files
     */
    public static SafetensorsModel open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_NAME);
            if (Files.isRegularFile(index)) {
                return openIndex(index);
            }
            List<Path> shards;
            try (Stream<Path> s = Files.list(path)) {
                shards = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            }
            if (shards.isEmpty()) {
                throw new NoSuchFileException(path.toString(), null, "no *.safetensors files in the folder");
            }
            return openFiles(shards);
        }
        if (path.getFileName().toString().endsWith(".json")) {
            return openIndex(path);
        }
        return openFiles(List.of(path));
    }

    private static SafetensorsModel openFiles(List<Path> paths) throws IOException {
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            List<SafetensorsTensorInfo> tensors = new ArrayList<>();
            for (Path p : paths) {
                SafetensorsFile f = SafetensorsFile.open(p);
                files.add(f);
                for (SafetensorsTensorInfo t : f.tensors()) {
                    SafetensorsFile other = owner.putIfAbsent(t.name(), f);
                    if (other != null) {
                        throw new FormatException(p, -1, "\"" + t.name() + "\"", "tensor is also in " + other.path());
                    }
                    tensors.add(t);
                }
            }
            return new SafetensorsModel(files, owner, tensors);
        } catch (IOException | RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static SafetensorsModel openIndex(Path index) throws IOException {
        if (Files.size(index) > MAX_INDEX_BYTES) {
            throw new FormatException(index, -1, "", "index larger than " + MAX_INDEX_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = SafetensorsFile.JSON.readTree(Files.readAllBytes(index));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FormatException(index, e.getLocation() == null ? -1 : e.getLocation().getByteOffset(), "",
                    "invalid JSON: " + e.getOriginalMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new FormatException(index, -1, "weight_map", "missing or not an object");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, Path> shardOf = new LinkedHashMap<>();
        List<Path> shards = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String field = "weight_map[\"" + e.getKey() + "\"]";
            if (!e.getValue().isTextual()) {
                throw new FormatException(index, -1, field, "must be a file name");
            }
            Path shard = dir.resolve(e.getValue().textValue()).normalize();
            if (!shard.startsWith(dir) || e.getValue().textValue().isEmpty()) {
                throw new FormatException(index, -1, field, "file " + e.getValue().textValue() + " is not inside " + dir);
            }
            if (!shards.contains(shard)) {
                if (!Files.isRegularFile(shard)) {
                    throw new FormatException(index, -1, field, "shard " + shard + " does not exist");
                }
                shards.add(shard);
            }
            shardOf.put(e.getKey(), shard);
        }
        SafetensorsModel all = openFiles(shards);
        try {
            for (Map.Entry<String, Path> e : shardOf.entrySet()) {
                SafetensorsFile f = all.owner.get(e.getKey());
                if (f == null || !f.path().equals(e.getValue())) {
                    throw new FormatException(index, -1, "weight_map[\"" + e.getKey() + "\"]", "tensor is not in "
                            + e.getValue().getFileName() + (f == null ? "" : " but in " + f.path().getFileName()));
                }
            }
            return all;
        } catch (FormatException e) {
            all.close();
            throw e;
        }
    }

    /** The files, in the order they were opened. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** All tensors, file by file in header order. */
    public List<SafetensorsTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, if any. */
    public Optional<SafetensorsTensorInfo> findTensor(String name) {
        SafetensorsFile f = owner.get(name);
        return f == null ? Optional.empty() : f.findTensor(name);
    }

    /** The file holding tensor {@code name}, if any. */
    public Optional<SafetensorsFile> fileOf(String name) {
        return Optional.ofNullable(owner.get(name));
    }

    /**
     * A view of tensor {@code name}.
     *
     * @throws IllegalArgumentException if there is no such tensor
     * @throws UnsupportedOperationException if its dtype has no jllm tensor type
     */
    public Tensor tensor(String name) {
        return require(name).tensor(name);
    }

    /**
     * The raw bytes of tensor {@code name}.
     *
     * @throws IllegalArgumentException if there is no such tensor
     */
    public MemorySegment bytes(String name) {
        return require(name).bytes(name);
    }

    private SafetensorsFile require(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no tensor \"" + name + "\" in the model's " + files.size() + " safetensors files");
        }
        return f;
    }

    /** Unmaps every file. */
    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
