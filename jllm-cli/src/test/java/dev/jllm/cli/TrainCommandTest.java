package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer train → data → init → train → resume → export → generate, as a user chains them. */
class TrainCommandTest {
    @Test
    void wholePipeline(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("text.txt");
        StringBuilder sb = new StringBuilder();
        for (String f : new String[] {"ggml-vocab-llama-spm.gguf.inp", "ggml-vocab-gpt-2.gguf.inp"}) {
            sb.append(Files.readString(SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/" + f)));
        }
        Files.writeString(text, sb.toString().repeat(4));
        Path tok = dir.resolve("tokenizer.json");
        run("tokenizer", "train", "--vocab", "400", "--input", text.toString(), "-o", tok.toString(), "--special",
                "<|endoftext|>");
        Path shards = dir.resolve("shards");
        run("data", "--tokenizer", tok.toString(), "--input", text.toString(), "-o", shards.toString(), "--whole-files");
        Path init = dir.resolve("init.gguf");
        run("init", "--arch", "llama", "--dims", "64,2,4,2,128", "--vocab-from", tok.toString(), "-o", init.toString());
        Path out = dir.resolve("run");
        String[] common = {"--data", shards.toString(), "--out", out.toString(), "--batch", "4", "--seq", "32",
            "--lr", "3e-3", "--warmup", "2", "--eval-every", "10", "--eval-batches", "2", "--checkpoint-every", "10",
            "-t", "2"};
        CommandRun first = run(concat(new String[] {"train", "--init", init.toString(), "--steps", "20"}, common));
        assertTrue(first.err().contains("step 20/20"), first.err());
        CommandRun again = CommandRun.of(concat(new String[] {"train", "--init", init.toString(), "--steps", "20"},
                common));
        assertEquals(1, again.exit(), "a second run into the same folder is refused");
        CommandRun resumed = run(concat(new String[] {"train", "--resume", "--steps", "30"}, common));
        assertTrue(resumed.err().contains("resuming at step 20 of 30"), resumed.err());

        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals("step,loss,val_loss,lr,grad_norm,tokens_per_s", metrics.get(0));
        assertEquals(31, metrics.size(), "one line per step, none repeated across the resume");
        double firstVal = Double.parseDouble(metrics.get(10).split(",")[2]);
        double lastVal = Double.parseDouble(metrics.get(30).split(",")[2]);
        assertTrue(lastVal < firstVal, "validation loss " + firstVal + " -> " + lastVal);
        java.awt.image.BufferedImage curve = javax.imageio.ImageIO.read(out.resolve("loss.png").toFile());
        assertTrue(curve != null && curve.getWidth() == 800 && curve.getHeight() == 500, "loss.png");

        Path fromArch = dir.resolve("run2");
        CommandRun second = run("train", "--arch", "llama", "--dims", "64,2,4,2,128", "--tokenizer", tok.toString(),
                "--data", shards.toString(), "--out", fromArch.toString(), "--steps", "2", "--batch", "2", "--seq",
                "16", "--eval-every", "0", "-t", "2");
        assertTrue(Files.isRegularFile(fromArch.resolve("checkpoint.safetensors")), second.err());
        CommandRun noTokenizer = CommandRun.of("train", "--arch", "llama", "--dims", "64,2,4,2,128", "--data",
                shards.toString(), "--out", dir.resolve("run3").toString(), "--steps", "2");
        assertEquals(1, noTokenizer.exit());
        assertTrue(noTokenizer.err().contains("--tokenizer"), noTokenizer.err());

        Path model = dir.resolve("model.gguf");
        run("export", out.toString(), "-o", model.toString());
        CommandRun gen = run("generate", "-m", model.toString(), "-p", "Hello", "-n", "8", "--seed", "1", "--quiet");
        assertTrue(!gen.out().isBlank(), "generate printed nothing");
    }

    @Test
    void textDataIsEncodedIntoTheRunAndCheckedOnResume(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("text.txt");
        Files.writeString(text, Files.readString(SharedFixturePaths.resolve(
                "tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp")));
        Path tok = dir.resolve("tokenizer.json");
        run("tokenizer", "train", "--vocab", "300", "--input", text.toString(), "-o", tok.toString(), "--special",
                "<|endoftext|>");
        Path reference = dir.resolve("reference");
        run("data", "--tokenizer", tok.toString(), "--input", text.toString(), "-o", reference.toString());
        Path out = dir.resolve("run");
        String[] common = {"--data", text.toString(), "--out", out.toString(), "--batch", "2", "--seq", "16",
            "--eval-every", "0", "-t", "2"};
        CommandRun first = run(concat(new String[] {"train", "--arch", "llama", "--dims", "32,1,2,1,64",
            "--tokenizer", tok.toString(), "--steps", "2", "--precision", "bf16"}, common));
        assertTrue(first.err().contains("encoded"), first.err());
        for (String shard : new String[] {"train.bin", "val.bin"}) {
            assertArrayEquals(Files.readAllBytes(reference.resolve(shard)),
                    Files.readAllBytes(out.resolve("data").resolve(shard)), shard + " differs from jllm data's");
        }
        CommandRun resumed = run(concat(new String[] {"train", "--resume", "--steps", "3"}, common));
        assertTrue(resumed.err().contains("reusing the shards"), resumed.err());
        assertTrue(resumed.err().contains("resuming at step 2 of 3 (bf16)"), "the run's precision: " + resumed.err());
        CommandRun wrongPrecision = CommandRun.of(concat(new String[] {"train", "--resume", "--steps", "4",
            "--precision", "f32"}, common));
        assertEquals(1, wrongPrecision.exit());
        assertTrue(wrongPrecision.err().contains("--precision bf16"), wrongPrecision.err());
        CommandRun badPrecision = CommandRun.of(concat(new String[] {"train", "--resume", "--steps", "4",
            "--precision", "fp8"}, common));
        assertEquals(1, badPrecision.exit());
        assertTrue(badPrecision.err().contains("fp8"), badPrecision.err());

        Files.writeString(text, "one more line\n", java.nio.file.StandardOpenOption.APPEND);
        CommandRun changed = CommandRun.of(concat(new String[] {"train", "--resume", "--steps", "4"}, common));
        assertEquals(1, changed.exit(), changed.err());
        assertTrue(changed.err().contains("text.txt") && changed.err().contains("differs"), changed.err());
        assertEquals(1, changed.err().strip().lines().count(), "one line: " + changed.err());

        CommandRun mixed = CommandRun.of("train", "--resume", "--steps", "4", "--data", text.toString(),
                reference.toString(), "--out", out.toString());
        assertEquals(1, mixed.exit());
        assertTrue(mixed.err().contains("not both"), mixed.err());
        CommandRun shardRun = CommandRun.of("train", "--init", out.resolve("model.gguf").toString(), "--data",
                reference.toString(), "--out", dir.resolve("run2").toString(), "--steps", "1", "--batch", "2",
                "--seq", "16", "--eval-every", "0", "-t", "2");
        assertEquals(0, shardRun.exit(), shardRun.err());
        CommandRun wrongKind = CommandRun.of("train", "--resume", "--steps", "2", "--data", text.toString(),
                "--out", dir.resolve("run2").toString());
        assertEquals(1, wrongKind.exit());
        assertTrue(wrongKind.err().contains("not trained on text files"), wrongKind.err());
    }

    private static CommandRun run(String... args) {
        CommandRun r = CommandRun.of(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
        return r;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
