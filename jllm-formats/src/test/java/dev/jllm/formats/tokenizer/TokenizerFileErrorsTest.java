package dev.jllm.formats.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata;
import dev.jllm.formats.tokenizer.load.HfTokenizerJson;
import dev.jllm.formats.tokenizer.load.Llama2cTokenizerFile;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama2.c tokenizer.bin, and malformed files of every format failing with FormatException naming the field. */
class TokenizerFileErrorsTest {
    @TempDir
    Path tmp;

    // Writes the Llama 2 SentencePiece vocabulary the way llama2.c's tokenizer.py exports it.
    private Path llama2cBin() throws IOException {
        Path spm = Fixtures.tokenizers("sentencepiece/tokenizer.model");
        SentencePieceModelFile m = SentencePieceModelFile.read(spm);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[][] bs = new byte[m.pieces().length][];
        int max = 0;
        for (int i = 0; i < bs.length; i++) {
            String t = m.pieces()[i];
            t = i == m.bosId() ? "\n<s>\n" : i == m.eosId() ? "\n</s>\n" : t.replace('\u2581', ' ');
            bs[i] = t.getBytes(StandardCharsets.UTF_8);
            max = Math.max(max, bs[i].length);
        }
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        out.writeBytes(b.putInt(max).array());
        for (int i = 0; i < bs.length; i++) {
            ByteBuffer e = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            e.putFloat(m.scores()[i]).putInt(bs[i].length);
            out.writeBytes(e.array());
            out.writeBytes(bs[i]);
        }
        Path f = tmp.resolve("tokenizer.bin");
        Files.write(f, out.toByteArray());
        return f;
    }

    @Test
    void llama2cTokenizerBinMatchesExpectedEncodings() throws IOException {
        Tokenizer tok = Llama2cTokenizerFile.load(llama2cBin());
        JsonNode d = new ObjectMapper().readTree(Fixtures.tokenizers("sentencepiece/llama2c-expected-encodings.json").toFile());
        SuiteReport report = new SuiteReport("llama2.c tokenizer.bin");
        for (JsonNode c : d.path("cases")) {
            int[] expected = new int[c.path("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.path("ids").get(i).asInt();
            }
            report.check("encode", c.path("text").asText(), expected, tok.encode(c.path("text").asText(), true));
        }
        report.assertAllPassed();
    }

    /** A tokenizer.bin converted to GGUF metadata (what init --vocab-from does) encodes as the file itself. */
    @Test
    void llama2cTokenizerBinAsGgufMetadata() throws IOException {
        Path bin = llama2cBin();
        java.util.Map<String, Object> metadata = new java.util.LinkedHashMap<>();
        dev.jllm.formats.convert.TokenizerToGguf.metadata(bin).forEach((k, v) -> metadata.put(k, v.value()));
        Tokenizer fromGguf = dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata.fromGgufMetadata(metadata, bin);
        Tokenizer direct = Llama2cTokenizerFile.load(bin);
        org.junit.jupiter.api.Assertions.assertEquals(direct.vocabSize(), fromGguf.vocabSize());
        JsonNode d = new ObjectMapper().readTree(Fixtures.tokenizers("sentencepiece/llama2c-expected-encodings.json").toFile());
        SuiteReport report = new SuiteReport("llama2.c tokenizer.bin as GGUF metadata");
        for (JsonNode c : d.path("cases")) {
            String text = c.path("text").asText();
            report.check("encode", text, direct.encode(text, true), fromGguf.encode(text, true));
        }
        report.assertAllPassed();
    }

    @Test
    void truncatedTokenizerBin() throws IOException {
        byte[] full = Files.readAllBytes(llama2cBin());
        Path f = tmp.resolve("cut.bin");
        Files.write(f, Arrays.copyOf(full, full.length - 3));
        FormatException e = assertThrows(FormatException.class, () -> Llama2cTokenizerFile.load(f));
        assertTrue(e.getMessage().contains("cut.bin") && e.field().startsWith("tokens["), e.getMessage());
    }

    @Test
    void corruptedSentencePieceModelsNeverThrowAnythingElse() throws IOException {
        byte[] model = Files.readAllBytes(Fixtures.tokenizers("sentencepiece/test_model.model"));
        Random rnd = new Random(42);
        for (int k = 0; k < 200; k++) {
            byte[] bad = k % 2 == 0 ? Arrays.copyOf(model, rnd.nextInt(model.length)) : model.clone();
            if (k % 2 == 1) {
                for (int j = 0; j < 8; j++) {
                    bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                }
            }
            try {
                SentencePieceModelFile.parse(bad, tmp.resolve("bad.model")).toTokenizer(tmp.resolve("bad.model"));
            } catch (FormatException expected) {
                assertTrue(expected.getMessage().contains("bad.model"));
            }
        }
    }

    @Test
    void badTiktokenLine() throws IOException {
        Path f = tmp.resolve("tiktoken.model");
        Files.writeString(f, "IQ== 0\nnot base64!! x\n");
        FormatException e = assertThrows(FormatException.class, () -> TiktokenFile.load(f));
        assertTrue(e.field().equals("line 2"), e.getMessage());
        Files.writeString(f, "IQ== 0\nIg== 2000000000\n");
        e = assertThrows(FormatException.class, () -> TiktokenFile.load(f));
        assertTrue(e.field().equals("ranks"), e.getMessage());
    }

    @Test
    void badTokenizerJson() throws IOException {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}");
        FormatException e = assertThrows(FormatException.class, () -> HfTokenizerJson.load(f, null));
        assertTrue(e.field().equals("model.vocab.a"), e.getMessage());
        Files.writeString(f, "{\"model\": ");
        assertThrows(FormatException.class, () -> HfTokenizerJson.load(f, null));
        Files.writeString(f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2000000000}, \"merges\": []}}");
        e = assertThrows(FormatException.class, () -> HfTokenizerJson.load(f, null));
        assertTrue(e.field().equals("model.vocab"), e.getMessage());
    }

    @Test
    void badGgufMetadata() throws FormatException {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", "llama");
        FormatException e = assertThrows(FormatException.class, () -> GgufTokenizerMetadata.fromGgufMetadata(md, null));
        assertTrue(e.field().equals("tokenizer.ggml.tokens"), e.getMessage());
        md.put("tokenizer.ggml.tokens", List.of("a", "b"));
        md.put("tokenizer.ggml.scores", List.of(1f));
        e = assertThrows(FormatException.class, () -> GgufTokenizerMetadata.fromGgufMetadata(md, null));
        assertTrue(e.field().equals("tokenizer.ggml.scores"), e.getMessage());
        md.put("tokenizer.ggml.scores", List.of(1f, 2f));
        md.put("tokenizer.ggml.model", "rwkv");
        e = assertThrows(FormatException.class, () -> GgufTokenizerMetadata.fromGgufMetadata(md, null));
        assertTrue(e.field().equals("tokenizer.ggml.model"), e.getMessage());
        md.put("tokenizer.ggml.model", "llama");
        md.put("tokenizer.ggml.add_space_prefix", false);
        assertArrayEquals(new int[] {0, 1}, GgufTokenizerMetadata.fromGgufMetadata(md, null).encode("ab", false));
    }
}
