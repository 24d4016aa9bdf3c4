package dev.jllm.train;

import dev.jllm.core.autograd.Variable;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.safetensors.SafetensorsDType;
import dev.jllm.formats.safetensors.SafetensorsFile;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import dev.jllm.train.data.BatchIterator;
import dev.jllm.train.optim.OptimizerState;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a run needs to continue exactly, in one safetensors file written atomically: the
 * parameters under their GGUF names, the optimizer's buffers under {@code optimizer/<key>}, the data
 * iterator's position as an I64 tensor, and the step, optimizer algorithm and step count as metadata.
 *
 * @param step steps completed
 * @param parameters values by name
 * @param optimizer the optimizer's state
 * @param data the training batches' position
 * @param precision the precision the passes read the weights in (the parameters are F32 either way: under
 *     BF16 they are the masters); metadata {@code precision}, F32 when absent
 */
public record Checkpoint(long step, Map<String, float[]> parameters, OptimizerState optimizer,
        BatchIterator.State data, Precision precision) {
    private static final String OPTIMIZER = "optimizer/";
    private static final String DATA = "data/train_iterator";

    /** An F32 run's checkpoint. */
    public Checkpoint(long step, Map<String, float[]> parameters, OptimizerState optimizer, BatchIterator.State data) {
        this(step, parameters, optimizer, data, Precision.F32);
    }

    /** Writes the checkpoint to {@code file} atomically (a crash leaves the previous file intact). */
    public void write(Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata("format", "jllm-checkpoint");
        w.putMetadata("step", Long.toString(step));
        w.putMetadata("optimizer", optimizer.algorithm());
        w.putMetadata("optimizer_steps", Long.toString(optimizer.steps()));
        w.putMetadata("precision", precision.label());
        parameters.forEach((name, v) -> w.addTensor(name, SafetensorsDType.F32, new long[] {v.length}, floats(v)));
        optimizer.buffers().forEach((key, v) ->
                w.addTensor(OPTIMIZER + key, SafetensorsDType.F32, new long[] {v.length}, floats(v)));
        long[] position = data.toLongs();
        MemorySegment longs = MemorySegment.ofArray(new byte[position.length * 8]);
        for (int i = 0; i < position.length; i++) {
            longs.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 8L, position[i]);
        }
        w.addTensor(DATA, SafetensorsDType.I64, new long[] {position.length}, longs);
        w.write(file);
    }

    /**
     * Reads a checkpoint.
     *
     * @throws FormatException naming the file and field when it is not a jllm checkpoint or is damaged
     */
    public static Checkpoint read(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!"jllm-checkpoint".equals(meta.get("format"))) {
                throw new FormatException(file, -1, "__metadata__.format", "not a jllm checkpoint");
            }
            long step = number(file, meta, "step");
            long optimizerSteps = number(file, meta, "optimizer_steps");
            String algorithm = meta.get("optimizer");
            Precision precision;
            try {
                precision = Precision.parse(meta.getOrDefault("precision", "f32"));
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, -1, "__metadata__.precision", e.getMessage());
            }
            Map<String, float[]> params = new LinkedHashMap<>();
            Map<String, float[]> buffers = new LinkedHashMap<>();
            long[] position = null;
            for (SafetensorsTensorInfo info : f.tensors()) {
                MemorySegment bytes = f.bytes(info.name());
                if (info.name().equals(DATA)) {
                    position = new long[(int) (bytes.byteSize() / 8)];
                    for (int i = 0; i < position.length; i++) {
                        position[i] = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                                i * 8L);
                    }
                    continue;
                }
                if (info.dtype() != SafetensorsDType.F32) {
                    throw new FormatException(file, -1, info.name(), "expected F32, found " + info.dtype());
                }
                float[] v = bytes.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                if (info.name().startsWith(OPTIMIZER)) {
                    buffers.put(info.name().substring(OPTIMIZER.length()), v);
                } else {
                    params.put(info.name(), v);
                }
            }
            if (position == null || algorithm == null) {
                throw new FormatException(file, -1, position == null ? DATA : "__metadata__.optimizer", "missing");
            }
            try {
                return new Checkpoint(step, params, new OptimizerState(algorithm, optimizerSteps, buffers),
                        BatchIterator.State.fromLongs(position), precision);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, -1, "", e.getMessage());
            }
        }
    }

    /**
     * The precision a checkpoint file was trained in, from its metadata alone.
     *
     * @throws FormatException naming the file when it is not a jllm checkpoint or names no known precision
     */
    public static Precision precisionOf(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!"jllm-checkpoint".equals(meta.get("format"))) {
                throw new FormatException(file, -1, "__metadata__.format", "not a jllm checkpoint");
            }
            try {
                return Precision.parse(meta.getOrDefault("precision", "f32"));
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, -1, "__metadata__.precision", e.getMessage());
            }
        }
    }

    /** Copies the checkpoint's values into the model's parameters, which must match it by name and size. */
    public void restoreInto(Map<String, Variable> model, Path file) throws FormatException {
        if (!model.keySet().equals(parameters.keySet())) {
            throw new FormatException(file, -1, "", "the checkpoint's parameters " + parameters.keySet()
                    + " do not match the model's " + model.keySet());
        }
        for (Map.Entry<String, Variable> e : model.entrySet()) {
            float[] saved = parameters.get(e.getKey());
            float[] target = e.getValue().value();
            if (saved.length != target.length) {
                throw new FormatException(file, -1, e.getKey(), "holds " + saved.length + " values, the model's "
                        + target.length);
            }
            System.arraycopy(saved, 0, target, 0, saved.length);
        }
    }

    private static MemorySegment floats(float[] v) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * 4]);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v.length);
        return s;
    }

    private static long number(Path file, Map<String, String> meta, String key) throws FormatException {
        try {
            return Long.parseLong(meta.getOrDefault(key, ""));
        } catch (NumberFormatException e) {
            throw new FormatException(file, -1, "__metadata__." + key, "missing or not a number");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.step == step && c.data.equals(data) && c.precision == precision
                && c.parameters.keySet().equals(parameters.keySet())
                && parameters.keySet().stream().allMatch(k -> Arrays.equals(parameters.get(k), c.parameters.get(k)));
    }

    @Override
    public int hashCode() {
        return Long.hashCode(step);
    }
}
