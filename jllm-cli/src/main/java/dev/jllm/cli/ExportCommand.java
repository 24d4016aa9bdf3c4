package dev.jllm.cli;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.io.ChannelWrites;
import dev.jllm.train.Checkpoint;
import dev.jllm.train.TrainingRun;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm export}: a training run's checkpoint as a model that {@code generate} and {@code chat} run: a GGUF
 * file (F32) when OUT ends in {@code .gguf}, else a Hugging Face folder ({@code config.json},
 * {@code model.safetensors}, {@code tokenizer.json}, {@code tokenizer_config.json}, and {@code generation_config.json} when the tokenizer has BOS or EOS ids);
 * {@code --format} decides otherwise. The run's starting model gives the metadata and tokenizer, the checkpoint the
 * weights (a BF16 run's F32 master weights); the folder is made from the GGUF file by {@code jllm convert}'s
 * converter, so both hold the same model.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a training run's checkpoint as a GGUF model (F32; 'jllm quantize' shrinks it) or as a "
                + "Hugging Face folder.")
final class ExportCommand implements Callable<Integer> {
    /** What to write. */
    enum Format { gguf, hf }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder of 'jllm train'.")
    Path run;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
            description = "The GGUF file (OUT.gguf) or Hugging Face folder to write.")
    Path output;

    @Option(names = "--format", paramLabel = "gguf|hf",
            description = "gguf or hf (default: gguf when OUT ends in .gguf, else hf).")
    Format format;

    @Override
    public Integer call() throws IOException {
        Path model = run.resolve(TrainCommand.MODEL);
        Path file = run.resolve(TrainingRun.CHECKPOINT);
        for (Path p : new Path[] {model, file}) {
            if (!Files.isRegularFile(p)) {
                throw new java.nio.file.NoSuchFileException(p.toString(), null, "not a jllm train run folder");
            }
        }
        Format f = format != null ? format
                : output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf") ? Format.gguf : Format.hf;
        Checkpoint checkpoint = Checkpoint.read(file);
        if (f == Format.gguf) {
            if (Files.isDirectory(output)) {
                throw new IllegalArgumentException("OUT " + output + " is a folder; give the .gguf file to write, or "
                        + "--format hf");
            }
            writeGguf(checkpoint, file, model, output);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (step %d, %,d bytes)%n", output,
                    checkpoint.step(), Files.size(output));
            return 0;
        }
        if (Files.isRegularFile(output)) {
            throw new IllegalArgumentException("OUT " + output + " is a file; give the folder to write, or --format gguf");
        }
        Files.createDirectories(output);
        // the GGUF file is the one mapping of names and q/k row order; the converter makes the folder from it
        Path gguf = Files.createTempFile(output, ".export-", ".gguf");
        try {
            writeGguf(checkpoint, file, model, gguf);
            GgufToHfConverter.convert(gguf, output);
            writeGenerationConfig(gguf, output.resolve("generation_config.json"));
        } finally {
            Files.deleteIfExists(gguf);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (Hugging Face folder, step %d)%n", output,
                checkpoint.step());
        return 0;
    }

    /** The run's starting model with the checkpoint's weights, as an F32 GGUF file. */
    private static void writeGguf(Checkpoint checkpoint, Path file, Path model, Path output) throws IOException {
        try (GgufFile source = GgufFile.open(model)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(source.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            values.put("general.file_type", GgufValue.uint32(0));
            GgufWriter w = new GgufWriter().putAll(values);
            for (GgufTensorInfo info : source.tensors()) {
                float[] v = checkpoint.parameters().get(info.name());
                if (v == null) {
                    if (info.name().equals("output.weight")) {
                        continue; // tied to the embedding in training
                    }
                    throw new FormatException(file, -1, info.name(), "the checkpoint holds no such parameter");
                }
                if (v.length != info.elements()) {
                    throw new FormatException(file, -1, info.name(), "holds " + v.length + " values, the model "
                            + info.elements());
                }
                w.addTensor(info.name(), Tensor.ofFloats(v, info.shape()));
            }
            w.write(output);
        }
    }

    /** The BOS and EOS ids of the GGUF file as HF's {@code generation_config.json}, atomically. */
    private static void writeGenerationConfig(Path gguf, Path target) throws IOException {
        java.util.List<String> fields = new java.util.ArrayList<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            g.findLong("tokenizer.ggml.bos_token_id").ifPresent(v -> fields.add("  \"bos_token_id\": " + v));
            g.findLong("tokenizer.ggml.eos_token_id").ifPresent(v -> fields.add("  \"eos_token_id\": " + v));
        }
        if (fields.isEmpty()) {
            return; // nothing to say: HF's defaults hold
        }
        byte[] bytes = ("{\n" + String.join(",\n", fields) + "\n}\n").getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(target, ch -> ChannelWrites.writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
