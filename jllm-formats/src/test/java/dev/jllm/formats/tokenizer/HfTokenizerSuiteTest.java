package dev.jllm.formats.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.tokenizer.load.Gpt2VocabFiles;
import dev.jllm.formats.tokenizer.load.HfTokenizerJson;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import dev.jllm.formats.tokenizer.load.WordPieceVocabFile;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The entries of {@code hf/tokenizer_tests.json} whose files are present, and the
 * {@code *_encoded.json} long-text cases, each suite reporting every failing case.
 */
class HfTokenizerSuiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode tests() throws IOException {
        return JSON.readTree(Fixtures.tokenizers("hf/tokenizer_tests.json").toFile());
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    /** Runs one tokenizer_tests.json entry: encode with special tokens, and decode without them. */
    static void runEntry(String entry, Tokenizer tok, boolean checkDecode) throws IOException {
        SuiteReport report = new SuiteReport(entry);
        for (JsonNode c : tests().path(entry)) {
            String input = c.path("input").asText();
            int[] expected = ints(c.path("encoded").path("input_ids"));
            try {
                int[] got = tok.encode(input, true);
                report.check("encode", input, expected, got);
                if (checkDecode && c.has("decoded_without_special")) {
                    report.check("decode", input, c.path("decoded_without_special").asText(), tok.decode(expected, true));
                }
            } catch (RuntimeException e) {
                report.fail("encode", input, e);
            }
        }
        report.assertAllPassed();
    }

    /** Runs one *_encoded.json file: token ids of a long French text, and decoding back. */
    static void runEncodedFile(String file, Tokenizer tok, boolean addSpecial) throws IOException {
        JsonNode d = JSON.readTree(Fixtures.tokenizers("hf/" + file).toFile());
        SuiteReport report = new SuiteReport(file);
        String text = d.path("text").asText();
        int[] expected = ints(d.path("token_ids"));
        report.check("encode", text, expected, tok.encode(text, addSpecial));
        if (d.has("decoded_text")) {
            report.check("decode", text, d.path("decoded_text").asText(), tok.decode(expected));
        }
        report.assertAllPassed();
    }

    @Test
    void distilgpt2FromTokenizerJson() throws IOException {
        Tokenizer tok = HfTokenizerJson.load(Fixtures.tokenizers("hf/gpt2_tokenizer.json"),
                Fixtures.tokenizers("hf/gpt2_tokenizer_config.json"));
        runEntry("distilgpt2", tok, true);
        runEncodedFile("gpt2_encoded_tokens.json", tok, false);
    }

    @Test
    void distilgpt2FromVocabAndMerges() throws IOException {
        Tokenizer tok = Gpt2VocabFiles.load(Fixtures.tokenizers("hf/gpt2-vocab.json"),
                Fixtures.tokenizers("hf/gpt2-merges.txt"));
        runEntry("distilgpt2", tok, true);
    }

    @Test
    void llama3FromTiktoken() throws IOException {
        Tokenizer tok = TiktokenFile.load(Fixtures.tokenizers("hf/llama-3/tiktoken.model"));
        runEntry("pcuenq/Llama-3.2-1B-Instruct-tokenizer", tok, true);
        runEncodedFile("llama_3.2_encoded.json", tok, true);
    }

    @Test
    void llama2FromTokenizerJson() throws IOException {
        Tokenizer tok = HfTokenizerJson.load(Fixtures.tokenizers("hf/llama_tokenizer.json"),
                Fixtures.tokenizers("hf/llama_tokenizer_config.json"));
        runEntry("coreml-projects/Llama-2-7b-chat-coreml", tok, true);
        runEncodedFile("llama_encoded.json", tok, true);
    }

    @Test
    void bertFromTokenizerJson() throws IOException {
        Tokenizer tok = HfTokenizerJson.load(Fixtures.tokenizers("hf/bert-base-uncased.json"), null);
        runEntry("bert-base-uncased", tok, true);
        runEntry("google-bert/bert-base-uncased", tok, true);
        runEncodedFile("bert_uncased_encoded.json", tok, true);
    }

    @Test
    void bertFromVocabTxt() throws IOException {
        Tokenizer tok = WordPieceVocabFile.load(Fixtures.tokenizers("hf/bert-vocab.txt"), true);
        runEntry("bert-base-uncased", tok, true);
        runEntry("google-bert/bert-base-uncased", tok, true);
    }
}
