package dev.jllm.cli;

import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.convert.HfToGgufConverter;
import dev.jllm.formats.convert.Llama2cToGgufConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.onnx.BertImportPlan;
import dev.jllm.formats.onnx.OnnxBertImport;
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
 * {@code jllm convert IN -o OUT}: converts between model formats, chosen by what IN is: a Hugging Face
 * folder (llama, mistral, qwen2, qwen3, gpt2, bert, t5) becomes a GGUF file, a GGUF file becomes a Hugging Face folder,
 * a llama2.c checkpoint becomes a GGUF file, and an ONNX export of a BERT-family encoder ({@code *.onnx}) becomes a
 * Hugging Face BertModel folder (with {@code --tokenizer tokenizer.json} copied in).
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a Hugging Face folder (llama, mistral, qwen2, qwen3, gpt2, bert, t5) or a llama2.c "
                + "checkpoint to GGUF, a GGUF file of those architectures to a Hugging Face folder, or an ONNX export "
                + "(.onnx) of a BERT-family encoder to a Hugging Face BertModel folder.")
final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN",
            description = "A Hugging Face model folder, a GGUF file, a llama2.c .bin or an ONNX .onnx file.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
            description = "The GGUF file to write, or the folder to write when IN is a GGUF or ONNX file (a new or empty folder for ONNX).")
    Path output;

    @Option(names = {"-t", "--type"}, paramLabel = "TYPE",
            description = "Weight type of the GGUF written: F32, F16, BF16 or Q8_0 (default: the source's; F32 for llama2.c).")
    String type;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "llama2.c tokenizer.bin for a llama2.c checkpoint (default: a placeholder vocabulary), or the "
                    + "tokenizer.json to copy into the folder made from an ONNX model.")
    Path tokenizer;

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(input)) {
            throw new NoSuchFileException(input.toString());
        }
        LlamaFileType fileType = type == null ? null : LlamaFileType.parse(type);
        if (tokenizer != null && !Files.exists(tokenizer)) {
            throw new NoSuchFileException(tokenizer.toString());
        }
        String what;
        if (Files.isDirectory(input)) {
            refuseTokenizer("a Hugging Face folder");
            checkParent();
            try (ProgressReport progress = ProgressReport.create("convert", 0, spec.commandLine().getErr())) {
                HfToGgufConverter.convert(input, output, fileType, progress);
                progress.finish();
            }
            what = "GGUF";
        } else if (input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            if (fileType != null) {
                throw new IllegalArgumentException("--type applies when writing GGUF; the folder made from an ONNX model "
                        + "keeps its weights' types");
            }
            BertImportPlan plan = OnnxBertImport.convert(input, tokenizer, output);
            what = String.format(Locale.ROOT, "Hugging Face BertModel folder: %d layers, hidden %d, %d heads, %s",
                    plan.layers(), plan.hiddenSize(), plan.heads(), plan.hiddenAct());
        } else if (GgufFile.hasMagic(input)) {
            refuseTokenizer("a GGUF file");
            if (fileType != null) {
                throw new IllegalArgumentException("--type applies when writing GGUF; a Hugging Face folder keeps the GGUF file's types");
            }
            GgufToHfConverter.convert(input, output);
            what = "Hugging Face folder";
        } else {
            checkParent();
            try (ProgressReport progress = ProgressReport.create("convert", 0, spec.commandLine().getErr())) {
                Llama2cToGgufConverter.convert(input, tokenizer, output, fileType, progress);
                progress.finish();
            }
            what = "GGUF";
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %s (%s)%n", output, what);
        out.flush();
        return 0;
    }

    private void refuseTokenizer(String kind) {
        if (tokenizer != null) {
            throw new IllegalArgumentException("--tokenizer applies to llama2.c checkpoints and ONNX models, not to " + kind
                    + " (" + input + ")");
        }
    }

    private void checkParent() throws IOException {
        if (Files.isDirectory(output)) {
            throw new IllegalArgumentException("OUT " + output + " is a folder; give the GGUF file to write");
        }
        Path folder = output.toAbsolutePath().getParent();
        if (folder != null && !Files.isDirectory(folder)) {
            throw new NoSuchFileException(folder.toString());
        }
    }
}
