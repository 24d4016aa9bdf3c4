package dev.jllm.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the project's shared test fixtures: a folder {@code shared/fixtures} next to an ancestor of the working directory. */
final class SharedFixturePaths {
    private SharedFixturePaths() {
    }

    /**
     * {@code relative} inside the fixtures folder, found from {@code -Djllm.fixtures} or by walking up from {@code user.dir}.
     *
     * @throws IllegalStateException naming where it looked when the folder or the fixture is missing
     */
    static Path resolve(String relative) {
        String prop = System.getProperty("jllm.fixtures");
        Path root = null;
        if (prop != null) {
            root = Path.of(prop);
        } else {
            Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
            for (Path dir = start; dir != null && root == null; dir = dir.getParent()) {
                Path candidate = dir.resolve("shared").resolve("fixtures");
                if (Files.isDirectory(candidate)) {
                    root = candidate;
                }
            }
            if (root == null) {
                throw new IllegalStateException("no folder shared/fixtures next to " + start + " or any of its ancestors");
            }
        }
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing fixture " + p);
        }
        return p;
    }
}
