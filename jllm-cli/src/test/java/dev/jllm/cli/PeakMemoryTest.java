package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights are mapped, not copied: {@code generate} in its own JVM, with the launcher's memory flags, peaks
 * at no more than the file, the KV cache and 300 MB.
 */
class PeakMemoryTest {
    @Test
    void generatePeaksBelowFilePlusCachePlus300MB(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.gguf");
        // 1024 wide, 6 blocks, vocab 32000, Q8_0: about 130 MB, bigger than any heap slack
        CommandRun init = CommandRun.of("init", "--arch", "llama", "--dims", "1024,6,16,4,2816,32000", "-t", "Q8_0",
                "-o", model.toString());
        assertEquals(0, init.exit(), init.err());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmn64m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "generate", "-m", model.toString(),
                "--prompt-ids", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "--ids", "-n", "32", "--temp", "0",
                "--ctx", "256", "--cache-type", "f32");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        Matcher m = Pattern.compile("peak RSS (\\d+) MB").matcher(output);
        assertTrue(m.find(), output);
        long peakMb = Long.parseLong(m.group(1));
        long fileMb = Files.size(model) >> 20;
        // F32 cache: 2 × 6 blocks × 256 positions × 4 heads × 64 × 4 bytes, in whole pages
        long cacheMb = (2L * 6 * 256 * 4 * 64 * 4) >> 20;
        assertTrue(peakMb <= fileMb + cacheMb + 300, "peak RSS " + peakMb + " MB for a " + fileMb + " MB file and "
                + cacheMb + " MB of cache");
        assertTrue(List.of(output.split("\n")).stream().anyMatch(l -> l.contains("generated")), output);
    }
}
