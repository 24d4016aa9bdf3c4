package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.t5.LoadedT5;
import dev.jllm.model.t5.T5Model;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.seq2seq.Seq2SeqGenerator;
import dev.jllm.runtime.stop.StopTokens;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm generate} on T5 files made by {@code jllm init --arch t5}: greedy ids and text against the library's
 * {@link Seq2SeqGenerator} run on the same file, the HF folder of the same model, and the errors.
 */
class GenerateT5CommandTest {
    private static final String INPUT = "translate English to German: The house is wonderful.";

    @TempDir
    static Path dir;
    static Path t5;

    @BeforeAll
    static void model() {
        t5 = dir.resolve("t5.gguf");
        CommandRun r = CommandRun.of("init", "--arch", "t5", "--preset", "tiny", "--seed", "5", "-o", t5.toString());
        assertEquals(0, r.exit(), r.err());
    }

    /** What the library generates greedily from the prompt: the oracle for the command's output. */
    private static int[] libraryGreedy(Path file, int n) throws Exception {
        try (LoadedT5 loaded = LoadedT5.open(file); WorkerPool pool = new WorkerPool(1)) {
            Tokenizer tokenizer = loaded.tokenizer().orElseThrow();
            Seq2SeqGenerator g = new Seq2SeqGenerator(new T5Model(loaded.config(), loaded.weights(), pool), DType.F16,
                    loaded.config().contextLength());
            return g.generate(tokenizer.encode(INPUT, true), SamplingParams.greedy(), StopTokens.of(loaded.endIds()),
                    List.of(), n, tokenizer, new Seq2SeqGenerator.Listener() {
                    }).tokens();
        }
    }

    @Test
    void greedyIdsAndTextMatchTheLibrary() throws Exception {
        int[] want = libraryGreedy(t5, 8);
        CommandRun ids = CommandRun.of("generate", "-m", t5.toString(), "-p", INPUT, "--temp", "0", "-n", "8", "--ids",
                "-t", "1");
        assertEquals(0, ids.exit(), ids.err());
        assertEquals(Arrays.stream(want).mapToObj(Integer::toString).collect(Collectors.joining(" ")), ids.out().strip());
        assertTrue(ids.err().contains("input tokens encoded"), ids.err());
        assertTrue(ids.err().contains("finish"), ids.err());

        CommandRun text = CommandRun.of("generate", "-m", t5.toString(), "-p", INPUT, "--temp", "0", "-n", "8",
                "--quiet", "-t", "1");
        assertEquals(0, text.exit(), text.err());
        String decoded;
        try (LoadedT5 loaded = LoadedT5.open(t5)) {
            // an end token ends the text without showing itself
            int end = want.length > 0 && Arrays.stream(loaded.endIds()).anyMatch(e -> e == want[want.length - 1])
                    ? want.length - 1 : want.length;
            decoded = loaded.tokenizer().orElseThrow().decode(Arrays.copyOf(want, end), true);
        }
        assertFalse(text.out().isBlank());
        assertEquals(decoded + "\n", text.out());
        assertEquals("", text.err());
    }

    @Test
    void sampledRunsRepeatWithASeed() {
        String[] args = {"generate", "-m", t5.toString(), "-p", INPUT, "-n", "6", "--seed", "7", "--temp", "1.2",
            "--ids", "--quiet", "-t", "1"};
        CommandRun a = CommandRun.of(args);
        CommandRun b = CommandRun.of(args);
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out());
    }

    @Test
    void anHfFolderGeneratesTheSame() throws Exception {
        Path folder = dir.resolve("hf");
        GgufToHfConverter.convert(t5, folder);
        CommandRun fromGguf = CommandRun.of("generate", "-m", t5.toString(), "--prompt-ids", "20,30,40,2", "--temp",
                "0", "-n", "6", "--ids", "--quiet", "-t", "1");
        CommandRun fromHf = CommandRun.of("generate", "-m", folder.toString(), "--prompt-ids", "20,30,40,2", "--temp",
                "0", "-n", "6", "--ids", "--quiet", "-t", "1");
        assertEquals(0, fromHf.exit(), fromHf.err());
        assertEquals(fromGguf.out(), fromHf.out());
    }

    @Test
    void withoutATokenizerTextGetsOneLineAndIdsStillWork() throws Exception {
        Path bare = dir.resolve("no-vocab.gguf");
        try (GgufFile src = GgufFile.open(t5)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            values.keySet().removeIf(k -> k.startsWith("tokenizer."));
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            for (GgufTensorInfo info : src.tensors()) {
                w.addTensor(info.name(), src.tensor(info.name()));
            }
            w.write(bare);
        }
        CommandRun text = CommandRun.of("generate", "-m", bare.toString(), "-p", "hello");
        assertEquals(1, text.exit());
        assertTrue(text.err().contains("has no tokenizer"), text.err());
        assertEquals(1, text.err().strip().lines().count(), text.err());
        assertFalse(text.err().contains("Exception"), text.err());

        CommandRun ids = CommandRun.of("generate", "-m", bare.toString(), "--prompt-ids", "5,6,7", "--ids", "--temp",
                "0", "-n", "4", "--quiet", "-t", "1");
        assertEquals(0, ids.exit(), ids.err());
        assertEquals(4, ids.out().strip().split(" ").length, ids.out());

        CommandRun outside = CommandRun.of("generate", "-m", bare.toString(), "--prompt-ids", "5,99999", "--ids");
        assertEquals(1, outside.exit());
        assertTrue(outside.err().contains("99999"), outside.err());
        assertEquals(1, outside.err().strip().lines().count(), outside.err());
    }
}
