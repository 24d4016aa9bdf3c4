package dev.jllm.formats.tokenizer;

import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** llama.cpp's vocabulary tests: each {@code .inp} string must encode (without BOS/EOS) to its {@code .out} line. */
class LlamaCppVocabSuiteTest {

    static void run(String name, Tokenizer tok) throws IOException {
        Path dir = Fixtures.tokenizers("llamacpp-vocab");
        String inp = Files.readString(dir.resolve(name + ".inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(dir.resolve(name + ".out"), StandardCharsets.UTF_8);
        String[] cases = inp.split("\n__ggml_vocab_test__\n", -1);
        int count = cases.length - (cases[cases.length - 1].isEmpty() ? 1 : 0);
        SuiteReport report = new SuiteReport(name);
        for (int i = 0; i < count; i++) {
            String line = i < out.size() ? out.get(i).strip() : "";
            int[] expected = line.isEmpty() ? new int[0] : Arrays.stream(line.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            try {
                report.check("case " + i, cases[i], expected, tok.encode(cases[i], false));
            } catch (RuntimeException e) {
                report.fail("case " + i, cases[i], e);
            }
        }
        report.assertAllPassed();
    }

    @Test
    void llamaBpeWithTiktoken() throws IOException {
        run("ggml-vocab-llama-bpe.gguf", TiktokenFile.load(Fixtures.tokenizers("hf/llama-3/tiktoken.model")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-2", "llama-spm", "phi-3", "bert-bge", "deepseek-llm", "falcon", "starcoder"})
    void gguf(String vocab) throws IOException {
        Path file = Fixtures.tokenizers("llamacpp-vocab/ggml-vocab-" + vocab + ".gguf");
        run("ggml-vocab-" + vocab + ".gguf", GgufTokenizerMetadata.fromGguf(file));
    }
}
