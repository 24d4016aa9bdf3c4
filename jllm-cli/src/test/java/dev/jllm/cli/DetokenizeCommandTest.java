package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DetokenizeCommandTest {
    private static final String LLAMA3 = SharedFixturePaths.resolve("tokenizers/hf/llama-3/tiktoken.model").toString();
    private static final String SPM = SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf")
            .toString();

    @Test
    void decodesIdsGivenSeparatelyOrWithCommas() {
        CommandRun r = CommandRun.of("detokenize", "-m", LLAMA3, "128000", "9906,1917", "128009");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<|begin_of_text|>Hello world<|eot_id|>\n", r.out());
        assertEquals("Hello world\n",
                CommandRun.of("detokenize", "-m", LLAMA3, "--skip-special", "128000", "9906", "1917").out());
    }

    @Test
    void roundTripsWhatTokenizePrints() {
        String text = "Hello\n  world, ça va? 🦙";
        String ids = CommandRun.of("tokenize", "-m", SPM, "--ids", text).out().trim();
        String[] args = ("detokenize -m " + SPM + " " + ids).split(" ");
        args[2] = SPM; // the path has no spaces, but keep it whole anyway
        assertEquals(text + "\n", CommandRun.of(args).out());
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        CommandRun r = CommandRun.of("detokenize", "-m", LLAMA3, "9906", "128256");
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("jllm: token id 128256 (argument 2) is not in the vocabulary"), r.err());
        assertEquals(1, r.err().strip().lines().count());
        assertEquals(2, CommandRun.of("detokenize", "-m", LLAMA3, "abc").exit());
        assertEquals(2, CommandRun.of("detokenize", "-m", LLAMA3).exit());
    }
}
