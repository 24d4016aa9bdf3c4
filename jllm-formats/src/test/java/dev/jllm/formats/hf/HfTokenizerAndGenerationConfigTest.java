package dev.jllm.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerAndGenerationConfigTest {
    @TempDir
    Path dir;

    private Path write(String name, String json) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, json);
        return f;
    }

    @Test
    void llama3FixtureWithStringTokensAndHugeMaxLength() throws IOException {
        HfTokenizerConfig c = HfTokenizerConfig.read(SharedFixtures.resolve("tokenizers/hf/llama-3/tokenizer_config.json"));
        assertEquals("<|begin_of_text|>", c.bosToken());
        assertEquals("<|eot_id|>", c.eosToken());
        assertNull(c.addBosToken());
        assertEquals(Long.MAX_VALUE, c.modelMaxLength());
        assertEquals("PreTrainedTokenizerFast", c.tokenizerClass());
        assertTrue(c.defaultChatTemplate().orElseThrow().contains("<|start_header_id|>"));
        assertEquals(256, c.raw().get("added_tokens_decoder").size());
    }

    @Test
    void qwen3FixtureWithNullsAndAdditionalTokens() throws IOException {
        HfTokenizerConfig c = HfTokenizerConfig.read(SharedFixtures.resolve("tokenizers/hf/qwen3/tokenizer_config.json"));
        assertNull(c.bosToken());
        assertNull(c.unkToken());
        assertEquals("<|im_end|>", c.eosToken());
        assertEquals("<|endoftext|>", c.padToken());
        assertFalse(c.addBosToken());
        assertEquals(262144L, c.modelMaxLength());
        assertEquals("<|im_start|>", c.additionalSpecialTokens().get(0));
        assertFalse(c.addPrefixSpace());
        assertTrue(c.defaultChatTemplate().orElseThrow().contains("<|im_start|>"));
    }

    @Test
    void deepseekR1FixtureWithAddedTokenObjects() throws IOException {
        HfTokenizerConfig c = HfTokenizerConfig.read(
                SharedFixtures.resolve("tokenizers/hf/deepseek-r1/tokenizer_config.json"));
        assertEquals("<\uff5cbegin\u2581of\u2581sentence\uff5c>", c.bosToken());
        assertEquals("<\uff5cend\u2581of\u2581sentence\uff5c>", c.eosToken());
        assertEquals(c.eosToken(), c.padToken());
        assertTrue(c.addBosToken());
        assertFalse(c.addEosToken());
        assertEquals(16384L, c.modelMaxLength());
        assertTrue(c.defaultChatTemplate().isPresent());
    }

    @Test
    void gpt2AndLlamaFixtures() throws IOException {
        HfTokenizerConfig g = HfTokenizerConfig.read(SharedFixtures.resolve("tokenizers/hf/gpt2_tokenizer_config.json"));
        assertEquals("<|endoftext|>", g.bosToken());
        assertEquals("<|endoftext|>", g.unkToken());
        assertEquals(1024L, g.modelMaxLength());
        assertEquals(Optional.empty(), g.defaultChatTemplate());
        HfTokenizerConfig l = HfTokenizerConfig.read(SharedFixtures.resolve("tokenizers/hf/llama_tokenizer_config.json"));
        assertEquals("<s>", l.bosToken());
        assertEquals("</s>", l.eosToken());
        assertEquals("<unk>", l.unkToken());
        assertNull(l.padToken());
        assertTrue(l.addBosToken());
        assertEquals("LlamaTokenizer", l.tokenizerClass());
    }

    @Test
    void chatTemplateAsListOfNamedTemplates() throws IOException {
        HfTokenizerConfig c = HfTokenizerConfig.read(write("tokenizer_config.json", """
                {"chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}]}
                """));
        assertEquals(List.of("default", "tool_use"), List.copyOf(c.chatTemplates().keySet()));
        assertEquals("A", c.defaultChatTemplate().orElseThrow());
        assertEquals("B", c.chatTemplate("tool_use").orElseThrow());
        HfTokenizerConfig only = HfTokenizerConfig.read(write("only.json", """
                {"chat_template": [{"name": "rag", "template": "R"}]}
                """));
        assertEquals("R", only.defaultChatTemplate().orElseThrow());
    }

    private String refusedField(String json) throws IOException {
        Path f = write("bad" + System.nanoTime() + ".json", json);
        FormatException e = assertThrows(FormatException.class, () -> HfTokenizerConfig.read(f));
        assertEquals(f, e.file());
        assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
        return e.field();
    }

    @Test
    void badTokenizerConfigsNameTheField() throws IOException {
        assertEquals("bos_token", refusedField("{\"bos_token\": 1}"));
        assertEquals("eos_token", refusedField("{\"eos_token\": {\"__type\": \"AddedToken\"}}"));
        assertEquals("add_bos_token", refusedField("{\"add_bos_token\": \"true\"}"));
        assertEquals("chat_template", refusedField("{\"chat_template\": 5}"));
        assertEquals("chat_template[1]", refusedField(
                "{\"chat_template\": [{\"name\": \"a\", \"template\": \"x\"}, {\"name\": \"b\"}]}"));
        assertEquals("chat_template[1]", refusedField(
                "{\"chat_template\": [{\"name\": \"a\", \"template\": \"x\"}, {\"name\": \"a\", \"template\": \"y\"}]}"));
        assertEquals("model_max_length", refusedField("{\"model_max_length\": \"big\"}"));
        assertEquals("additional_special_tokens[0]", refusedField("{\"additional_special_tokens\": [false]}"));
    }

    @Test
    void llama32GenerationConfig() throws IOException {
        HfGenerationConfig g = HfGenerationConfig.read(write("generation_config.json", """
                {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
                 "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.45.0.dev0"}
                """));
        assertEquals(List.of(128000), g.bosTokenIds());
        assertEquals(List.of(128001, 128008, 128009), g.eosTokenIds());
        assertTrue(g.doSample());
        assertEquals(0.6, g.temperature());
        assertEquals(0.9, g.topP());
        assertNull(g.topK());
        assertEquals("4.45.0.dev0", g.raw().get("transformers_version").asText());
        HfGenerationConfig q = HfGenerationConfig.read(write("qwen.json", """
                {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
                 "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "max_length": 32768}
                """));
        assertEquals(20, q.topK());
        assertEquals(1.1, q.repetitionPenalty());
        assertEquals(32768, q.maxLength());
        assertEquals(151643, q.padTokenId());
    }

    @Test
    void badGenerationConfigsNameTheField() throws IOException {
        for (String[] c : new String[][] {{"{\"top_k\": \"20\"}", "top_k"}, {"{\"top_p\": 1.5}", "top_p"},
            {"{\"temperature\": -1}", "temperature"}, {"{\"eos_token_id\": \"2\"}", "eos_token_id"},
            {"{\"max_length\": 0}", "max_length"}, {"{\"do_sample\": 1}", "do_sample"}}) {
            Path f = write("g" + System.nanoTime() + ".json", c[0]);
            assertEquals(c[1], assertThrows(FormatException.class, () -> HfGenerationConfig.read(f)).field(), c[0]);
        }
    }
}
