package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files jllm writes load in llama.cpp: every architecture {@code init} makes, every type {@code quantize}
 * writes, and a GGUF that went through an HF folder and back, are loaded (and, but for T5, evaluated) by
 * node-llama-cpp's prebuilt llama.cpp (tools/llamacpp-check). {@code ./jllm test} installs it; when it
 * could not, the launcher does not set {@code JLLM_REQUIRE_LLAMACPP} and this test is skipped.
 */
class LlamaCppLoadTest {
    private static final Path CHECK = Path.of("..", "tools", "llamacpp-check").toAbsolutePath().normalize();

    @Test
    void llamaCppLoadsWhatJllmWrites(@TempDir Path dir) throws Exception {
        boolean installed = Files.isDirectory(CHECK.resolve("node_modules/node-llama-cpp"));
        if (System.getenv("JLLM_REQUIRE_LLAMACPP") != null) {
            assertTrue(installed, "tools/llamacpp-check/install.sh reported success but node-llama-cpp is missing");
        }
        Assumptions.assumeTrue(installed, "node-llama-cpp is not installed (tools/llamacpp-check/install.sh)");
        List<String> files = new ArrayList<>();
        for (String arch : new String[] {"llama", "mistral", "qwen2", "qwen3", "gpt2", "bert", "t5"}) {
            Path f = dir.resolve(arch + ".gguf");
            run("init", "--arch", arch, "--preset", "tiny", "--seed", "1", "-o", f.toString());
            files.add(f.toString());
        }
        for (String type : new String[] {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_S", "Q5_K_S", "Q6_K", "Q4_K_M",
            "Q5_K_M", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "F16", "BF16"}) {
            Path f = dir.resolve("llama-" + type + ".gguf");
            run("quantize", "-t", type, dir.resolve("llama.gguf").toString(), f.toString());
            files.add(f.toString());
        }
        Path hf = dir.resolve("qwen2-hf");
        run("convert", dir.resolve("qwen2.gguf").toString(), "-o", hf.toString());
        Path back = dir.resolve("qwen2-roundtrip.gguf");
        run("convert", hf.toString(), "-o", back.toString());
        files.add(back.toString());

        List<String> command = new ArrayList<>(List.of("node", "check.mjs"));
        command.addAll(files);
        Process p = new ProcessBuilder(command).directory(CHECK.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "node check.mjs did not finish");
        long ok = output.lines().filter(l -> l.startsWith("OK ")).count();
        assertEquals(0, p.exitValue(), output);
        assertEquals(files.size(), ok, output);
    }

    private static void run(String... args) {
        CommandRun r = CommandRun.of(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
    }
}
