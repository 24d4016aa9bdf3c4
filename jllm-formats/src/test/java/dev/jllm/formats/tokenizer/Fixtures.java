package dev.jllm.formats.tokenizer;

import dev.jllm.formats.io.SharedFixtures;
import java.nio.file.Path;

/** Tokenizer fixtures under {@code shared/fixtures/tokenizers/}. */
final class Fixtures {
    private Fixtures() {
    }

    /** A fixture file under {@code tokenizers/}; fails naming the path when absent. */
    static Path tokenizers(String relative) {
        return SharedFixtures.resolve("tokenizers/" + relative);
    }
}
