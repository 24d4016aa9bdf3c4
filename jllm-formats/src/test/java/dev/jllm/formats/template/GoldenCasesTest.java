package dev.jllm.formats.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.io.SharedFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of {@code chat-templates/golden-cases.json}, rendered by Python's Jinja2 configured as
 * Hugging Face's {@code apply_chat_template}: the output must match byte for byte, or the render must
 * fail with the same error.
 */
class GoldenCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> everyGoldenCaseRendersAsHuggingFace() throws IOException {
        Path file = SharedFixtures.resolve("chat-templates/golden-cases.json");
        JsonNode root = JSON.readTree(file.toFile());
        LocalDateTime now = LocalDateTime.parse(root.path("fixed_clock").asText());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            String name = c.path("template").asText() + " / " + c.path("case").asText();
            Path template = file.resolveSibling("templates").resolve(c.path("template").asText());
            @SuppressWarnings("unchecked")
            Map<String, Object> variables = JSON.convertValue(c.path("variables"), Map.class);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                ChatTemplate t = ChatTemplate.parse(Files.readString(template, StandardCharsets.UTF_8));
                if (c.has("error")) {
                    TemplateException e = assertThrows(TemplateException.class, () -> t.render(variables, () -> now));
                    assertEquals(c.path("error").asText(), e.jinjaMessage());
                } else {
                    assertEquals(c.path("output").asText(), t.render(variables, () -> now));
                }
            }));
        }
        assertFalse(tests.isEmpty(), "no cases in " + file);
        return tests.stream();
    }
}
