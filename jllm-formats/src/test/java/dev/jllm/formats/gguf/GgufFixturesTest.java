package dev.jllm.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.io.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** llama.cpp's vocabulary-only GGUF files open and carry their vocabularies. */
class GgufFixturesTest {
    @Test
    void everyLlamaCppVocabFileOpens() throws IOException {
        Path folder = SharedFixtures.resolve("tokenizers/llamacpp-vocab");
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no .gguf files in " + folder);
        for (Path p : files) {
            try (GgufFile g = GgufFile.open(p)) {
                Object tokens = g.metadata().get("tokenizer.ggml.tokens");
                List<?> list = assertInstanceOf(List.class, tokens, p.toString());
                assertTrue(list.size() > 1000, p + ": " + list.size() + " tokens");
                for (Object t : list) {
                    assertInstanceOf(String.class, t, p.toString());
                }
                assertEquals(GgufValueType.STRING, g.value("tokenizer.ggml.tokens").orElseThrow().elementType());
                assertTrue(g.findString("tokenizer.ggml.model").isPresent(), p.toString());
                assertTrue(g.findString("general.architecture").isPresent(), p.toString());
                for (var t : g.tensors()) {
                    assertEquals(t.byteSize(), g.tensor(t.name()).data().byteSize());
                }
            }
        }
    }
}
