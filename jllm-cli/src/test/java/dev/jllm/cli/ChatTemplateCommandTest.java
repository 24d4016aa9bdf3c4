package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.gguf.GgufWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jllm chat-template} against the golden renderings of Python's Jinja2 configured as Hugging Face's. */
class ChatTemplateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode goldenCase(String template, String name) throws IOException {
        JsonNode root = JSON.readTree(SharedFixturePaths.resolve("chat-templates/golden-cases.json").toFile());
        for (JsonNode c : root.path("cases")) {
            if (c.path("template").asText().equals(template) && c.path("case").asText().equals(name)) {
                return c;
            }
        }
        throw new IllegalStateException("no golden case " + template + " / " + name);
    }

    private static Path templateFile(String name) {
        return SharedFixturePaths.resolve("chat-templates/templates/" + name);
    }

    private Path caseFile(JsonNode variables) throws IOException {
        Path f = dir.resolve("case.json");
        Files.writeString(f, JSON.writeValueAsString(variables), StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void templateFilePrintsTheGoldenPrompt() throws IOException {
        JsonNode c = goldenCase("Qwen-Qwen2.5-7B-Instruct.jinja", "tools");
        CommandRun r = CommandRun.of("chat-template", "--template", templateFile("Qwen-Qwen2.5-7B-Instruct.jinja").toString(),
                "--input", caseFile(c.path("variables")).toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(c.path("output").asText(), r.out());
    }

    @Test
    void templateErrorIsOneLineAndNonZeroExit() throws IOException {
        JsonNode c = goldenCase("google-gemma-2-2b-it.jinja", "system_user");
        CommandRun r = CommandRun.of("chat-template", "--template", templateFile("google-gemma-2-2b-it.jinja").toString(),
                "--input", caseFile(c.path("variables")).toString());
        assertEquals(1, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("jllm: template error: " + c.path("error").asText()), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void ggufModelGivesTemplateAndSpecialTokens() throws IOException {
        JsonNode c = goldenCase("meta-llama-Llama-3.1-8B-Instruct.jinja", "system_user");
        String template = Files.readString(templateFile("meta-llama-Llama-3.1-8B-Instruct.jinja"), StandardCharsets.UTF_8);
        Path gguf = dir.resolve("m.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, List.of("<unk>", "<BOS>", "<EOS>", "a"))
                .putUint32("tokenizer.ggml.bos_token_id", 1)
                .putUint32("tokenizer.ggml.eos_token_id", 2)
                .putString("tokenizer.chat_template", template)
                .addTensor("output_norm.weight", Tensor.ofFloats(new float[4], 4))
                .write(gguf);
        ObjectNode vars = ((ObjectNode) c.path("variables").deepCopy());
        assertEquals("<BOS>", vars.remove("bos_token").asText(), "the golden case's BOS must be the model's for this test");
        vars.remove("eos_token");
        CommandRun r = CommandRun.of("chat-template", "-m", gguf.toString(), "--input", caseFile(vars).toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(c.path("output").asText(), r.out());
    }

    @Test
    void hfFolderPicksTheDefaultOfNamedTemplates() throws IOException {
        JsonNode c = goldenCase("microsoft-Phi-3.5-mini-instruct.jinja", "closed_conversation");
        String template = Files.readString(templateFile("microsoft-Phi-3.5-mini-instruct.jinja"), StandardCharsets.UTF_8);
        ObjectNode config = JSON.createObjectNode();
        config.put("bos_token", "<BOS>");
        config.putObject("eos_token").put("__type", "AddedToken").put("content", c.path("variables").path("eos_token").asText());
        config.putArray("chat_template").add(JSON.createObjectNode().put("name", "tool_use").put("template", "{{ raise_exception('wrong one') }}"))
                .add(JSON.createObjectNode().put("name", "default").put("template", template));
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
        ObjectNode vars = ((ObjectNode) c.path("variables").deepCopy());
        vars.remove("eos_token");
        CommandRun r = CommandRun.of("chat-template", "-m", dir.toString(), "--input", caseFile(vars).toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(c.path("output").asText(), r.out());
        assertFalse(r.out().isEmpty());
    }

    @Test
    void badInputsAreOneLineErrors() throws IOException {
        Path tpl = dir.resolve("t.jinja");
        Files.writeString(tpl, "{% for x in %}");
        Path vars = dir.resolve("v.json");
        Files.writeString(vars, "[1]");
        CommandRun notObject = CommandRun.of("chat-template", "--template", tpl.toString(), "--input", vars.toString());
        assertEquals(1, notObject.exit());
        assertTrue(notObject.err().contains("expected a JSON object"), notObject.err());
        Files.writeString(vars, "{}");
        CommandRun syntax = CommandRun.of("chat-template", "--template", tpl.toString(), "--input", vars.toString());
        assertEquals(1, syntax.exit());
        assertTrue(syntax.err().startsWith("jllm: template error: TemplateSyntaxError: ") && syntax.err().contains("line 1, column"),
                syntax.err());
        CommandRun missing = CommandRun.of("chat-template", "--template", dir.resolve("nope.jinja").toString(), "--input", vars.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        CommandRun both = CommandRun.of("chat-template", "--template", tpl.toString(), "-m", tpl.toString(), "--input", vars.toString());
        assertEquals(2, both.exit());
    }
}
