package dev.jllm.formats.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.HfTokenizerJson;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Unigram test model written as a tokenizer.json and as GGUF metadata (t5), each loaded by
 * its loader and run against sentencepiece's own encodings.
 */
class UnigramLoadersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static SentencePieceModelFile model() throws IOException {
        return SentencePieceModelFile.read(Fixtures.tokenizers("sentencepiece/test_model.model"));
    }

    private static void run(String name, Tokenizer tok) throws IOException {
        JsonNode d = JSON.readTree(Fixtures.tokenizers("sentencepiece/test_model.expected.generated.json").toFile());
        SuiteReport report = new SuiteReport(name);
        for (JsonNode c : d.path("cases")) {
            String text = c.path("text").asText();
            int[] ids = new int[c.path("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.path("ids").get(i).asInt();
            }
            report.check("encode", text, ids, tok.encode(text, false));
        }
        report.assertAllPassed();
    }

    @Test
    void asTokenizerJson() throws IOException {
        SentencePieceModelFile m = model();
        ObjectNode root = JSON.createObjectNode();
        ObjectNode modelNode = root.putObject("model");
        modelNode.put("type", "Unigram");
        modelNode.put("unk_id", m.unkId());
        ArrayNode vocab = modelNode.putArray("vocab");
        for (int i = 0; i < m.pieces().length; i++) {
            vocab.addArray().add(m.pieces()[i]).add(m.scores()[i]);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Precompiled");
        norm.put("precompiled_charsmap", Base64.getEncoder().encodeToString(m.precompiledCharsmap()));
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Metaspace");
        pre.put("replacement", "\u2581");
        pre.put("prepend_scheme", "always");
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, JSON.writeValueAsString(root));
        run("test_model as tokenizer.json", HfTokenizerJson.load(f, null));
    }

    @Test
    void asGgufMetadata() throws IOException {
        SentencePieceModelFile m = model();
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", "t5");
        md.put("tokenizer.ggml.tokens", List.of(m.pieces()));
        List<Object> scores = new ArrayList<>();
        List<Object> types = new ArrayList<>();
        for (int i = 0; i < m.pieces().length; i++) {
            scores.add(m.scores()[i]);
            types.add(m.types()[i].ordinal() + 1);
        }
        md.put("tokenizer.ggml.scores", scores);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.unknown_token_id", (long) m.unkId());
        md.put("tokenizer.ggml.add_space_prefix", true);
        md.put("tokenizer.ggml.remove_extra_whitespaces", true);
        List<Object> map = new ArrayList<>();
        for (byte b : m.precompiledCharsmap()) {
            map.add((int) b);
        }
        md.put("tokenizer.ggml.precompiled_charsmap", map);
        run("test_model as GGUF metadata", GgufTokenizerMetadata.fromGgufMetadata(md, null));
    }
}
