package dev.jllm.formats.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Word splitting of the named pre-tokenizers. */
class PreTokenizerTest {

    @Test
    void llama3GroupsDigitsByThreeAndKeepsContractions() {
        PreTokenizer p = new PreTokenizer(List.of(PreTokenizer.LLAMA3), false);
        assertEquals(List.of("I", "'VE", " got", " ", "123", "45", " apples", "\n\n", "ok", "  "), p.split("I'VE got 12345 apples\n\nok  "));
    }

    @Test
    void gpt2KeepsSpaceBeforeWords() {
        PreTokenizer p = new PreTokenizer(List.of(PreTokenizer.GPT2), false);
        assertEquals(List.of("Hello", " world", "!!", "  ", " x"), p.split("Hello world!!   x"));
    }

    @Test
    void everyLlamaCppNameCompilesAndCoversTheText() {
        String text = "Hello, World! 12345 ¥6 生活 'll\n\tend ";
        for (String name : List.of("llama3", "llama-bpe", "qwen2", "gpt-2", "starcoder", "falcon", "deepseek-llm",
                "deepseek-coder", "deepseek-v3", "gpt-4o", "tekken", "default", "unknown-name")) {
            List<String> words = PreTokenizer.forLlamaCppName(name).split(text);
            assertEquals(text, String.join("", words), name);
        }
    }
}
