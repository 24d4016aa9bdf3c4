package dev.jllm.cli;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.train.Checkpoint;
import dev.jllm.train.TrainingRun;
import java.io.IOException;
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
 * {@code jllm export}: a training run's checkpoint as a GGUF file (F32) that {@code generate} and
 * {@code chat} run: the run's starting model gives the metadata and tokenizer, the checkpoint the weights.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a training run's checkpoint as a GGUF model (F32; 'jllm quantize' shrinks it).")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run folder of 'jllm train'.")
    Path run;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "The file to write.")
    Path output;

    @Override
    public Integer call() throws IOException {
        Path model = run.resolve(TrainCommand.MODEL);
        Path file = run.resolve(TrainingRun.CHECKPOINT);
        for (Path p : new Path[] {model, file}) {
            if (!Files.isRegularFile(p)) {
                throw new java.nio.file.NoSuchFileException(p.toString(), null, "not a jllm train run folder");
            }
        }
        Checkpoint checkpoint = Checkpoint.read(file);
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
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (step %d, %,d bytes)%n", output, checkpoint.step(),
                Files.size(output));
        return 0;
    }
}
