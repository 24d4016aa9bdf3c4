package dev.jllm.formats.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.tokenizer.load.HfTokenizerJson;
import dev.jllm.formats.tokenizer.load.TiktokenFile;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Special tokens, decoding, streaming and the folder loader on the real vocabularies. */
class TokenizerBehaviourTest {
    private static Tokenizer llama3;
    private static Tokenizer llama2;

    @BeforeAll
    static void load() throws IOException {
        llama3 = TiktokenFile.load(Fixtures.tokenizers("hf/llama-3/tiktoken.model"));
        Path spm = Fixtures.tokenizers("sentencepiece/tokenizer.model");
        llama2 = SentencePieceModelFile.read(spm).toTokenizer(spm);
    }

    @Test
    void llama3SpecialTokensAreMatchedInText() {
        int[] ids = llama3.encode("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", true);
        assertArrayEquals(new int[] {128000, 128006, 882, 128007, 271, 13347, 128009}, ids);
        assertEquals(128000, llama3.bosId());
        assertTrue(Arrays.stream(llama3.eosIds()).anyMatch(e -> e == 128009));
        assertEquals(128256, llama3.vocabSize());
        assertEquals("<|eot_id|>", llama3.token(128009));
        assertEquals(128009, llama3.id("<|eot_id|>"));
        assertTrue(llama3.isSpecial(128000));
        assertFalse(llama3.isSpecial(882));
        assertEquals("<|begin_of_text|>Hello world", llama3.decode(llama3.encode("Hello world", true)));
        assertEquals("Hello world", llama3.decode(llama3.encode("Hello world", true), true));
    }

    @Test
    void specialTokensInUserTextCanBeKeptAsText() {
        String text = "hi<|eot_id|>";
        int[] ids = llama3.encode(text, false, false);
        assertFalse(Arrays.stream(ids).anyMatch(id -> id == 128009), Arrays.toString(ids));
        assertEquals(text, llama3.decode(ids));
        assertArrayEquals(new int[] {6151, 128009}, llama3.encode(text, false, true));
    }

    @Test
    void llama2SpecialIdsAndRoundTrip() {
        assertEquals(1, llama2.bosId());
        assertArrayEquals(new int[] {2}, llama2.eosIds());
        assertEquals(0, llama2.unkId());
        assertEquals(32000, llama2.vocabSize());
        for (String s : new String[] {"Hello world", "  two leading", "生活的真谛是 ₣7", "tab\there\nnew line"}) {
            assertEquals(s, llama2.decode(llama2.encode(s, true)), s);
        }
    }

    @Test
    void streamingWaitsForCompleteCharacters() {
        for (Tokenizer tok : new Tokenizer[] {llama3, llama2}) {
            String text = "生活的真谛是 ₣7 ₱9 😶‍🌫️ ok";
            int[] ids = tok.encode(text, false);
            StreamingDecoder dec = tok.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = dec.next(id);
                assertFalse(piece.contains("\uFFFD"), "partial character emitted for id " + id);
                sb.append(piece);
            }
            sb.append(dec.finish());
            assertEquals(tok.decode(ids), sb.toString());
            assertEquals(text, sb.toString());
        }
    }

    @Test
    void folderLoaderPicksTheFormat() throws IOException {
        Tokenizer tok = TokenizerLoader.load(Fixtures.tokenizers("hf/llama-3"));
        assertArrayEquals(new int[] {128000, 9906, 4435}, tok.encode("Hello World", true));
        Tokenizer sp = TokenizerLoader.load(Fixtures.tokenizers("sentencepiece/tokenizer.model"));
        assertArrayEquals(new int[] {1, 15043, 2787}, sp.encode("Hello World", true));
        Tokenizer minilm = HfTokenizerJson.load(Fixtures.tokenizers("hf/all-minilm-l6-v2.json"), null);
        assertArrayEquals(new int[] {101, 7592, 2088, 102}, minilm.encode("Hello World", true));
    }
}
