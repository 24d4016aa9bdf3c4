package dev.jllm.formats.safetensors;

import static dev.jllm.formats.io.ChannelWrites.writeFully;
import static dev.jllm.formats.io.ChannelWrites.writeSegment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.io.AtomicFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a safetensors file and writes it atomically: the JSON header (with {@code __metadata__}
 * first) padded with spaces to a multiple of 8 bytes as Hugging Face does, then each tensor's
 * bytes in the order they were added.
 */
public final class SafetensorsWriter {

    /** Streams a tensor's bytes; it must write exactly the tensor's byte size. */
    @FunctionalInterface
    public interface TensorContent {
        /** Writes the tensor's bytes to {@code out}. */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, SafetensorsDType dtype, long[] shape, long byteSize, TensorContent content) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Sets a {@code __metadata__} entry. */
    public SafetensorsWriter putMetadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Adds a tensor whose bytes are {@code data}, which must stay valid until {@link #write}.
     *
     * @throws IllegalArgumentException on a duplicate or reserved name, a negative or overflowing
     *     shape, or a segment whose size does not match
     */
    public SafetensorsWriter addTensor(String name, SafetensorsDType dtype, long[] shape, MemorySegment data) {
        long bytes = checkTensor(name, dtype, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor \"" + name + "\" " + dtype + Arrays.toString(shape) + " needs "
                    + bytes + " bytes but its segment holds " + data.byteSize());
        }
        return add(new Entry(name, dtype, shape.clone(), bytes, out -> writeSegment(out, data)));
    }

    /** Adds an F32, F16 or BF16 tensor under {@code name}. */
    public SafetensorsWriter addTensor(String name, Tensor tensor) {
        return addTensor(name, SafetensorsDType.of(tensor.type()), tensor.shape(), tensor.data());
    }

    /** Adds a tensor whose bytes {@code content} streams when the file is written. */
    public SafetensorsWriter addTensor(String name, SafetensorsDType dtype, long[] shape, TensorContent content) {
        long bytes = checkTensor(name, dtype, shape);
        return add(new Entry(name, dtype, shape.clone(), bytes, Objects.requireNonNull(content, "content")));
    }

    private SafetensorsWriter add(Entry e) {
        names.add(e.name());
        tensors.add(e);
        return this;
    }

    private long checkTensor(String name, SafetensorsDType dtype, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        if (name.equals(SafetensorsFile.METADATA_KEY) || names.contains(name)) {
            throw new IllegalArgumentException("tensor name \"" + name + "\" is reserved or already used");
        }
        long n = dtype.size();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor \"" + name + "\": negative dimension in " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor \"" + name + "\": size of " + Arrays.toString(shape) + " overflows");
            }
        }
        return n;
    }

    /**
     * Writes the file to {@code target} atomically.
     *
     * @throws IOException if writing fails (the target is then unchanged)
     * @throws IllegalStateException if a tensor's content callback writes the wrong number of bytes
     */
    public void write(Path target) throws IOException {
        byte[] header = header();
        AtomicFile.write(target, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry t : tensors) {
                long before = ch.position();
                t.content().writeTo(ch);
                long written = ch.position() - before;
                if (written != t.byteSize()) {
                    throw new IllegalStateException("tensor \"" + t.name() + "\" should have " + t.byteSize()
                            + " bytes but its content wrote " + written);
                }
            }
        });
    }

    private byte[] header() {
        ObjectNode root = SafetensorsFile.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry t : tensors) {
            ObjectNode node = root.putObject(t.name());
            node.put("dtype", t.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] json;
        try {
            json = SafetensorsFile.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a safetensors header", e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

}
