package dev.jllm.formats.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.tokenizer.sentencepiece.PrecompiledCharsMap;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** SentencePiece protobuf models against sentencepiece's own encodings. */
class SentencePieceSuiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    private static void run(String model, String expectations, boolean addSpecial) throws IOException {
        Path file = Fixtures.tokenizers("sentencepiece/" + model);
        Tokenizer tok = SentencePieceModelFile.read(file).toTokenizer(file);
        JsonNode d = JSON.readTree(Fixtures.tokenizers("sentencepiece/" + expectations).toFile());
        SuiteReport report = new SuiteReport(model);
        for (JsonNode c : d.path("cases")) {
            String text = c.path("text").asText();
            try {
                report.check("encode", text, ints(c.path("ids")), tok.encode(text, addSpecial));
            } catch (RuntimeException e) {
                report.fail("encode", text, e);
            }
        }
        report.assertAllPassed();
    }

    @Test
    void llama2BpeModel() throws IOException {
        run("tokenizer.model", "llama2c-expected-encodings.json", true);
    }

    @Test
    void precompiledCharsmapOfTheUnigramModelIsNfkcLike() throws IOException {
        SentencePieceModelFile m = SentencePieceModelFile.read(Fixtures.tokenizers("sentencepiece/test_model.model"));
        org.junit.jupiter.api.Assertions.assertTrue(m.precompiledCharsmap().length > 1000);
        PrecompiledCharsMap map = PrecompiledCharsMap.parse(m.precompiledCharsmap());
        org.junit.jupiter.api.Assertions.assertEquals("1\u20442 ~ ABC plain", map.normalize("\u00BD \uFF5E \uFF21\uFF22\uFF23 plain"));
    }

    @Test
    void unigramTestModel() throws IOException {
        run("test_model.model", "test_model.expected.generated.json", false);
    }
}
