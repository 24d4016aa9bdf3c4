package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled model's recipe (models/recipe.sh), shortened to a few steps, still runs end to end —
 * corpus from Debian's packages, tokenizer, shards, init, training, export, quantization — and lowers
 * the loss. It runs the jllm under test (the recipe's {@code JLLM} hook) and needs apt-get and the
 * Debian archive, as the recipe does.
 */
class DefaultModelRecipeTest {
    private static final Path RECIPE = Path.of("..", "models", "recipe.sh").toAbsolutePath().normalize();

    @Test
    void shortenedRecipeRunsAndLowersTheLoss(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "the recipe needs apt-get");
        Path jllm = dir.resolve("jllm");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(jllm, "#!/usr/bin/env bash\nexec '" + java + "' --add-modules=jdk.incubator.vector "
                + "--enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -cp '" + System.getProperty("java.class.path")
                + "' " + Main.class.getName() + " \"$@\" 2> >(grep -v '^WARNING: Using incubator' >&2)\n");
        Files.setPosixFilePermissions(jllm, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = dir.resolve("model.gguf");
        ProcessBuilder pb = new ProcessBuilder("bash", RECIPE.toString(), "--steps", "6", "--work",
                dir.resolve("work").toString(), "--out", out.toString()).redirectErrorStream(true);
        pb.environment().put("JLLM", jllm.toString());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the recipe did not finish");
        assertEquals(0, p.exitValue(), log);
        assertTrue(Files.size(out) > 1_000_000, log);
        List<String> metrics = Files.readAllLines(dir.resolve("work/run/metrics.csv"));
        double first = Double.parseDouble(metrics.get(1).split(",")[1]);
        double last = Double.parseDouble(metrics.get(metrics.size() - 1).split(",")[1]);
        assertTrue(last < first - 0.5, "training loss " + first + " -> " + last + "\n" + log);
        CommandRun gen = CommandRun.of("generate", "-m", out.toString(), "-p", "In the beginning", "-n", "5",
                "--seed", "1", "--quiet");
        assertEquals(0, gen.exit(), gen.err());
    }
}
