package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.chat.ChatSession;
import dev.jllm.runtime.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model with Llama 3's real vocabulary and chat template (from the HF fixture files): the session
 * renders Llama 3's header format, the special tokens become their ids, both end tokens stop, and a
 * second turn reuses the cached first.
 */
class ChatWithLlama3VocabTest {
    @Test
    void llama3Conversation(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("l3.gguf");
        CommandRun init = CommandRun.of("init", "--arch", "llama", "--dims", "64,2,4,2,128", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/hf/llama-3").toString(), "-o", model.toString());
        assertEquals(0, init.exit(), init.err());
        try (LoadedModel loaded = LoadedModel.open(model); WorkerPool pool = new WorkerPool(2);
                Scheduler g = new Scheduler(new Decoder(loaded.config(), loaded.weights(), pool),
                        loaded.tokenizer().orElseThrow(), Scheduler.Options.single(DType.F16, 512))) {
            Tokenizer tok = loaded.tokenizer().orElseThrow();
            int[] ends = loaded.endIds();
            Arrays.sort(ends);
            assertTrue(Arrays.binarySearch(ends, 128009) >= 0 && Arrays.binarySearch(ends, 128001) >= 0,
                    Arrays.toString(ends));
            ChatSession chat = new ChatSession(g, tok, ChatTemplate.parse(loaded.chatTemplate().orElseThrow()),
                    loaded.endIds(), null);
            String prompt = chat.render(List.of(Map.of("role", "user", "content", "Hi")));
            assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
            int[] ids = tok.encode(prompt, false, true);
            assertArrayEquals(new int[] {128000, 128006}, Arrays.copyOf(ids, 2));
            assertEquals(11, ids.length);

            SamplingParams greedy = SamplingParams.greedy();
            SequenceListener quiet = piece -> { };
            SequenceResult first = chat.send("Hi", greedy, List.of(), 4, quiet);
            assertEquals(11, first.promptTokens());
            SequenceResult second = chat.send("And?", greedy, List.of(), 4, quiet);
            assertTrue(second.cachedTokens() > first.promptTokens(), "the first turn's prompt and answer are reused: "
                    + second.cachedTokens());
            assertTrue(second.timings().prefillTokens() < second.promptTokens() - 10,
                    "the second turn recomputes only what follows the cached first turn: "
                            + second.timings().prefillTokens() + " of " + second.promptTokens());
            assertEquals(4, chat.messages().size());
        }
    }
}
