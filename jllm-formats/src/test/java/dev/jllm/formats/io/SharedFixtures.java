package dev.jllm.formats.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the project's shared test fixtures: a folder {@code shared/fixtures} next to an ancestor of the working directory. */
public final class SharedFixtures {
    private SharedFixtures() {
    }

    /**
     * The fixtures folder, found from {@code -Djllm.fixtures} or by walking up from {@code user.dir}.
     *
     * @throws IllegalStateException naming where it looked when there is none
     */
    public static Path root() {
        String prop = System.getProperty("jllm.fixtures");
        if (prop != null) {
            Path p = Path.of(prop);
            if (Files.isDirectory(p)) {
                return p;
            }
            throw new IllegalStateException("-Djllm.fixtures=" + prop + " is not a folder");
        }
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no folder shared/fixtures next to " + start + " or any of its ancestors");
    }

    /** {@code relative} inside the fixtures folder, which must exist. */
    public static Path resolve(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing fixture " + p);
        }
        return p;
    }
}
