package dev.jllm.cli;

import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm quantize IN.gguf OUT.gguf --type T}: re-quantizes a GGUF file, choosing each tensor's type
 * as llama-quantize does for the file type (or one type for every weight with {@code --pure}).
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Re-quantize a GGUF file (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K, Q2_K, Q3_K_S, Q3_K_M, "
                + "Q3_K_L, Q4_K_M, Q5_K_M, Q4_K_S, Q5_K_S, F16, BF16, F32), choosing per-tensor types as llama.cpp's "
                + "llama-quantize does.")
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The GGUF file to read (tensors of any type jllm reads).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "The GGUF file to write (atomically).")
    Path output;

    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE",
            description = "Target: a recipe (Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_M, Q5_K_M, Q4_K_S, Q5_K_S) or a type "
                    + "(Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K, F16, BF16, F32); Q3_K, Q4_K and Q5_K mean the _M recipes, as in "
                    + "llama-quantize. NF4 is refused: it is not a GGML type.")
    String type;

    @Option(names = "--pure", description = "Give every quantizable tensor the type itself, without llama.cpp's mixes.")
    boolean pure;

    @Override
    public Integer call() throws IOException {
        LlamaFileType fileType = LlamaFileType.parse(type);
        if (!Files.exists(input)) {
            throw new NoSuchFileException(input.toString());
        }
        if (Files.exists(output) && Files.isSameFile(input, output)) {
            throw new IllegalArgumentException("OUT must differ from IN (" + input + ")");
        }
        Path folder = output.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString());
        }
        long total;
        try (GgufFile in = GgufFile.open(input)) {
            total = in.tensors().stream().mapToLong(GgufTensorInfo::elements).sum();
        }
        try (ProgressReport progress = ProgressReport.create("quantize", total, spec.commandLine().getErr())) {
            GgufQuantizer.quantize(input, output, fileType, pure, progress);
            progress.finish();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s (%s, %,d bytes)%n", output, fileType.displayName(), Files.size(output));
        out.flush();
        return 0;
    }
}
