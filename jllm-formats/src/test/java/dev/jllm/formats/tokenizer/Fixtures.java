package dev.jllm.formats.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code shared/fixtures} by walking up from the working directory. */
final class Fixtures {
    private Fixtures() {
    }

    /** The fixtures folder; fails naming where it looked. */
    static Path root() {
        String prop = System.getProperty("jllm.fixtures");
        if (prop != null) {
            return Path.of(prop);
        }
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path f = p.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(f)) {
                return f;
            }
        }
        throw new AssertionError("no shared/fixtures folder above " + start);
    }

    /** A fixture file under {@code tokenizers/}; fails naming the path when absent. */
    static Path tokenizers(String relative) {
        Path p = root().resolve("tokenizers").resolve(relative);
        if (!Files.exists(p)) {
            throw new AssertionError("fixture missing: " + p);
        }
        return p;
    }
}
