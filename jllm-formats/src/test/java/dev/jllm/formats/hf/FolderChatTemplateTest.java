package dev.jllm.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which template an HF folder's chat uses: tokenizer_config.json's, else chat_template.jinja. */
class FolderChatTemplateTest {
    @Test
    void configFirstThenJinjaFile(@TempDir Path dir) throws Exception {
        assertEquals(Optional.empty(), HfTokenizerConfig.defaultChatTemplateOf(dir));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ 'B' }}");
        assertEquals(Optional.of("{{ 'B' }}"), HfTokenizerConfig.defaultChatTemplateOf(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ 'A' }}\"}");
        assertEquals(Optional.of("{{ 'A' }}"), HfTokenizerConfig.defaultChatTemplateOf(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        assertEquals(Optional.of("{{ 'B' }}"), HfTokenizerConfig.defaultChatTemplateOf(dir));
    }
}
