package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.hf.HfGenerationConfig;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trained run exported as GGUF and as an HF folder: both run to the same logits and the same greedy tokens. */
class ExportCommandTest {
    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void trainATinyRun() throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, Files.readString(SharedFixturePaths.resolve(
                "tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp")));
        // a Llama SentencePiece vocabulary with BOS and EOS; the text is encoded with the starting model's tokenizer
        Path init = dir.resolve("init.gguf");
        ok("init", "--arch", "llama", "--dims", "32,2,4,2,64", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf").toString(), "-o",
                init.toString());
        run = dir.resolve("run");
        ok("train", "--init", init.toString(), "--data", text.toString(), "--out", run.toString(), "--steps", "4",
                "--batch", "2", "--seq", "16", "--lr", "1e-2", "--eval-every", "0", "-t", "2");
    }

    private static CommandRun ok(String... args) {
        CommandRun r = CommandRun.of(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
        return r;
    }

    private static float[] logits(LoadedModel m, WorkerPool pool, int[] prompt) {
        Decoder d = new Decoder(m.config(), m.weights(), pool);
        float[] all = new float[prompt.length * m.config().vocabSize()];
        try (KvCache cache = d.newCache(DType.F32, 64)) {
            d.forward(prompt, 0, prompt.length, 0, cache, all, true);
        }
        return all;
    }

    @Test
    void hfFolderRunsLikeTheGgufFile() throws Exception {
        Path gguf = dir.resolve("model.gguf");
        Path folder = dir.resolve("hf");
        ok("export", run.toString(), "-o", gguf.toString());
        CommandRun hf = ok("export", run.toString(), "-o", folder.toString());
        assertTrue(hf.out().contains("Hugging Face folder"), hf.out());
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}) {
            assertTrue(Files.isRegularFile(folder.resolve(f)), f + " missing");
        }
        try (Stream<Path> files = Files.list(folder)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".export-")), "temporary GGUF left");
        }
        int[] prompt = {1, 17, 200, 42, 77, 8, 250, 3};
        try (LoadedModel a = LoadedModel.open(gguf); LoadedModel b = LoadedModel.open(folder);
                WorkerPool pool = new WorkerPool(2)) {
            assertEquals("hf", b.format());
            // GGUF keeps llama.cpp's adjacent-pair q/k rows, HF the rotate-halves order
            assertEquals(ModelConfig.Positions.ROPE_ADJACENT, a.config().positions());
            assertEquals(ModelConfig.Positions.ROPE_HALVES, b.config().positions());
            float[] la = logits(a, pool, prompt);
            float[] lb = logits(b, pool, prompt);
            double max = 0;
            double err = 0;
            for (int i = 0; i < la.length; i++) {
                max = Math.max(max, Math.abs(la[i]));
                err = Math.max(err, Math.abs(la[i] - lb[i]));
            }
            assertTrue(max > 0 && err <= 1e-4 * max, "max difference " + err + " of max |logit| " + max);
            HfGenerationConfig g = HfGenerationConfig.read(folder.resolve("generation_config.json"));
            try (GgufFile source = GgufFile.open(gguf)) {
                assertEquals(List.of((int) source.getLong("tokenizer.ggml.eos_token_id")), g.eosTokenIds());
                assertEquals(List.of((int) source.getLong("tokenizer.ggml.bos_token_id")), g.bosTokenIds());
            }
        }
        String[] greedy = {"-p", "Hello world", "-n", "12", "--temp", "0", "--ids", "--quiet"};
        CommandRun fromGguf = ok(concat(new String[] {"generate", "-m", gguf.toString()}, greedy));
        CommandRun fromFolder = ok(concat(new String[] {"generate", "-m", folder.toString()}, greedy));
        assertFalse(fromGguf.out().isBlank());
        assertEquals(fromGguf.out(), fromFolder.out(), "greedy tokens differ between the GGUF file and the folder");
    }

    @Test
    void formatFollowsTheNameUnlessGiven() throws Exception {
        Path named = dir.resolve("plain-name");
        ok("export", run.toString(), "-o", named.toString(), "--format", "gguf");
        assertTrue(Files.isRegularFile(named));
        Path folder = dir.resolve("folder.gguf");
        ok("export", run.toString(), "-o", folder.toString(), "--format", "hf");
        assertTrue(Files.isRegularFile(folder.resolve("config.json")));
        CommandRun clash = CommandRun.of("export", run.toString(), "-o", named.toString(), "--format", "hf");
        assertEquals(1, clash.exit());
        assertTrue(clash.err().contains("is a file"), clash.err());
        CommandRun notRun = CommandRun.of("export", dir.toString(), "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, notRun.exit());
        assertTrue(notRun.err().contains("not a jllm train run folder"), notRun.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
