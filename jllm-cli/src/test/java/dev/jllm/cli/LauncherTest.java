package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real {@code ./jllm} script to check how it finds (or fails to find) a JDK. */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "jllm").toAbsolutePath().normalize();

    private static String[] runLauncher(String javaHome, String jvmDirs) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", LAUNCHER.toString(), "--version");
        pb.environment().put("JLLM_PRINT_JDK", "1");
        pb.environment().put("JAVA_HOME", javaHome);
        pb.environment().put("JLLM_JVM_DIRS", jvmDirs);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "launcher did not finish");
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void saysWhatToInstallWhenNoJdk25Exists(@TempDir Path empty) throws Exception {
        // an old JDK in JAVA_HOME and nothing in the searched folders
        Path fakeOld = Files.createDirectories(empty.resolve("jdk17"));
        Files.writeString(fakeOld.resolve("release"), "JAVA_VERSION=\"17.0.15\"\n");
        String[] r = runLauncher(fakeOld.toString(), empty.resolve("nothing-here/*").toString());
        assertEquals("127", r[0], r[1]);
        assertTrue(r[1].contains("needs a JDK 25 or newer"), r[1]);
        assertTrue(r[1].lines().count() <= 2, r[1]);
    }

    @Test
    void takesJavaHomeWhenItIs25OrNewer() throws Exception {
        String home = System.getProperty("java.home");
        String[] r = runLauncher(home, "/nonexistent/*");
        assertEquals("0", r[0], r[1]);
        assertEquals(home, r[1].strip());
    }

    @Test
    void searchesTheJvmFoldersWhenJavaHomeIsTooOld(@TempDir Path dir) throws Exception {
        Path old = Files.createDirectories(dir.resolve("old"));
        Files.writeString(old.resolve("release"), "JAVA_VERSION=\"17\"\n");
        String home = Path.of(System.getProperty("java.home")).toRealPath().toString();
        String[] r = runLauncher(old.toString(), home);
        assertEquals("0", r[0], r[1]);
        assertEquals(home, r[1].strip());
    }
}
