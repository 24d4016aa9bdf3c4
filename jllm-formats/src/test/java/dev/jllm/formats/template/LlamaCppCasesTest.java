package dev.jllm.formats.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.io.SharedFixtures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's chat template table ({@code llamacpp-test-chat-template-cases.json}): each template
 * rendered for its conversation must give llama.cpp's Jinja expectation. llama.cpp adds polyfills
 * that Hugging Face does not have (a system message merged into the first user turn where the
 * template has no system role); where those change the result, Hugging Face's Jinja2 raises or
 * renders the system turn differently, and the case is checked for that instead, or left out.
 */
class LlamaCppCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Templates that reject the system message under plain Jinja2 (raise_exception or an undefined variable). */
    private static final Set<String> RAISE_WITHOUT_POLYFILL = Set.of(
            "mistralai/Mistral-7B-Instruct-v0.2 (NOTE: Old pre-v1 without a system prompt)", "google/gemma-7b-it",
            "ai-sage/GigaChat-20B-A3B-instruct");
    /** Templates whose llama.cpp expectation holds the system text where plain Jinja2 drops or places it differently. */
    private static final Set<String> POLYFILLED = Set.of("OrionStarAI/Orion-14B-Chat", "Phi-3-mini", "Phi-3-medium",
            "ChatGLM3", "yandex/YandexGPT-5-Lite-8B-instruct");

    @TestFactory
    Stream<DynamicTest> llamaCppTableRendersAsExpected() throws IOException {
        JsonNode root = JSON.readTree(SharedFixtures.resolve("chat-templates/llamacpp-test-chat-template-cases.json").toFile());
        Object conversation = JSON.convertValue(root.path("conversation"), List.class);
        boolean addGenerationPrompt = root.path("add_generation_prompt").asBoolean();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.path("test_cases")) {
            String name = c.path("name").asText();
            if (POLYFILLED.contains(name)) {
                continue;
            }
            String expected = c.path("expected_output_jinja").asText().isEmpty() ? c.path("expected_output").asText()
                    : c.path("expected_output_jinja").asText();
            Map<String, Object> vars = new HashMap<>();
            vars.put("messages", conversation);
            vars.put("add_generation_prompt", addGenerationPrompt);
            vars.put("bos_token", c.path("bos_token").asText(""));
            vars.put("eos_token", c.path("eos_token").asText(""));
            String source = c.path("template_str").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                ChatTemplate t = ChatTemplate.parse(source);
                if (RAISE_WITHOUT_POLYFILL.contains(name)) {
                    assertThrows(TemplateException.class, () -> t.render(vars));
                } else {
                    assertEquals(expected, t.render(vars));
                }
            }));
        }
        assertFalse(tests.isEmpty(), "no llama.cpp cases");
        assertTrue(tests.size() >= 25, "only " + tests.size() + " llama.cpp cases checked");
        return tests.stream();
    }
}
