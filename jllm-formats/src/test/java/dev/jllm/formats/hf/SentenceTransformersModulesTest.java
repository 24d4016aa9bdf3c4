package dev.jllm.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sentence-transformers' modules.json as all-MiniLM-L6-v2 and BGE ship it, and the defaults without one. */
class SentenceTransformersModulesTest {
    private static final String MODULES = """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
             {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
            """;

    @Test
    void poolingAndNormalisationComeFromTheModules(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("modules.json"), MODULES);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"),
                "{\"word_embedding_dimension\": 384, \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
        assertEquals(new SentenceTransformersModules(SentenceTransformersModules.Mode.CLS, true),
                SentenceTransformersModules.read(dir));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_mean_tokens\": true}");
        assertEquals(new SentenceTransformersModules(SentenceTransformersModules.Mode.MEAN, true),
                SentenceTransformersModules.read(dir));
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_lasttoken\": true}");
        assertEquals(SentenceTransformersModules.Mode.LAST, SentenceTransformersModules.read(dir).pooling());
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_max_tokens\": true}");
        FormatException e = assertThrows(FormatException.class, () -> SentenceTransformersModules.read(dir));
        assertTrue(e.getMessage().contains("pooling_mode_*"), e.getMessage());
    }

    @Test
    void aFolderWithoutModulesMeansMeanPoolingUnnormalised(@TempDir Path dir) throws Exception {
        assertEquals(new SentenceTransformersModules(SentenceTransformersModules.Mode.MEAN, false),
                SentenceTransformersModules.read(dir));
    }

    @Test
    void brokenJsonNamesTheFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("modules.json"), "[{");
        FormatException e = assertThrows(FormatException.class, () -> SentenceTransformersModules.read(dir));
        assertTrue(e.getMessage().contains("modules.json"), e.getMessage());
    }
}
