package dev.jllm.cli;

import dev.jllm.formats.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jllm detokenize -m MODEL ID...}: the text a sequence of token ids decodes to. */
@Command(name = "detokenize", mixinStandardHelpOptions = true,
        description = "Decode token ids to text with a model's tokenizer.")
final class DetokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A .gguf file, tokenizer.json, tokenizer.model, tiktoken.model, vocab.json (with merges.txt),"
                    + " vocab.txt, llama2.c tokenizer.bin, or a Hugging Face model folder.")
    Path model;

    @Option(names = "--skip-special", description = "Leave special tokens (BOS, EOS, ...) out of the text.")
    boolean skipSpecial;

    @Parameters(paramLabel = "ID", arity = "1..*", description = "Token ids; commas between them are allowed.",
            split = ",")
    List<Integer> ids;

    @Override
    public Integer call() throws IOException {
        Tokenizer tokenizer = TokenizeCommand.load(model);
        int[] array = new int[ids.size()];
        for (int i = 0; i < array.length; i++) {
            int id = ids.get(i);
            if (id < 0 || id >= tokenizer.vocabSize() || tokenizer.token(id) == null) {
                throw new IllegalArgumentException("token id " + id + " (argument " + (i + 1) + ") is not in the "
                        + "vocabulary, which has ids 0 to " + (tokenizer.vocabSize() - 1));
            }
            array[i] = id;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(tokenizer.decode(array, skipSpecial));
        out.flush();
        return 0;
    }
}
