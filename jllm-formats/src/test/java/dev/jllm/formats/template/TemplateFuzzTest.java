package dev.jllm.formats.template;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random mutations of the real chat templates, parsed and rendered with the golden cases'
 * variables: the only exception allowed is {@link TemplateException}, syntax errors carry a line
 * and column, and every attempt finishes (the whole run is bounded by a timeout).
 */
class TemplateFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ITERATIONS = Integer.getInteger("jllm.fuzz.iterations", 3000);
    private static final String[] PIECES = {"{%", "%}", "{{", "}}", "{#", "#}", "-%}", "{%-", "(", ")", "[", "]", "{", "}",
        "'", "\"", "|", "-", "+", "*", "**", "//", "%", "~", ",", ":", ".", "=", "==", " if ", " else ", " for ", " in ",
        " endfor ", " endif ", " set ", " macro ", " endmacro ", " call ", " loop ", " recursive ", " not ", " is ",
        " namespace(", " range(", "9999999999", "-1", "1.5", "\\", "\n", " none ", " tojson ", " items ", "[::-1]",
        "{% for x in range(100000) %}", "{% endfor %}", "{{ loop(x) }}", "{% macro f() %}{{ f() ~ f() }}{% endmacro %}{{ f() }}",
        "* 99999", "'ab' * 10000000", "{% raw %}", "{% endraw %}"};

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void mutatedTemplatesFailOnlyWithTemplateException() throws IOException {
        Path file = SharedFixtures.resolve("chat-templates/golden-cases.json");
        JsonNode root = JSON.readTree(file.toFile());
        List<String> templates = new ArrayList<>();
        try (var list = Files.list(file.resolveSibling("templates"))) {
            for (Path p : list.filter(p -> p.toString().endsWith(".jinja")).sorted().toList()) {
                templates.add(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        List<Map<String, Object>> variables = new ArrayList<>();
        for (JsonNode c : root.path("cases")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> v = JSON.convertValue(c.path("variables"), Map.class);
            variables.add(v);
        }
        assertTrue(templates.size() > 0 && variables.size() > 0, "no templates or cases found");
        Random random = new Random(Long.getLong("jllm.fuzz.seed", 20260115L));
        LocalDateTime now = LocalDateTime.of(2026, 1, 15, 12, 0);
        int parsed = 0;
        int rendered = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            String source = mutate(templates.get(random.nextInt(templates.size())), random);
            try {
                ChatTemplate t = ChatTemplate.parse(source);
                parsed++;
                t.render(variables.get(random.nextInt(variables.size())), () -> now);
                rendered++;
            } catch (TemplateException e) {
                if (e.kind().equals("TemplateSyntaxError")) {
                    assertTrue(e.line() >= 1 && e.column() >= 1, "syntax error without a place: " + e.getMessage());
                }
            } catch (RuntimeException | Error e) {
                fail("iteration " + i + " threw " + e + " for template:\n" + source, e);
            }
        }
        // the mutations must leave many templates valid, or the renderer is not being exercised
        assertTrue(parsed > ITERATIONS / 10, "only " + parsed + " mutated templates parsed");
        assertTrue(rendered > ITERATIONS / 20, "only " + rendered + " mutated templates rendered");
    }

    private static String mutate(String s, Random r) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int at = sb.isEmpty() ? 0 : r.nextInt(sb.length());
            switch (r.nextInt(6)) {
                case 0 -> sb.delete(at, Math.min(sb.length(), at + 1 + r.nextInt(20)));
                case 1 -> sb.insert(at, PIECES[r.nextInt(PIECES.length)]);
                case 2 -> {
                    int end = Math.min(sb.length(), at + 1 + r.nextInt(60));
                    sb.insert(r.nextInt(sb.length() + 1), sb.substring(at, end));
                }
                case 3 -> {
                    if (!sb.isEmpty()) {
                        sb.setCharAt(at, (char) (32 + r.nextInt(95)));
                    }
                }
                case 4 -> sb.setLength(at);
                default -> sb.insert(at, (char) r.nextInt(0x3000));
            }
        }
        return sb.toString();
    }
}
