package dev.jllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.template.TemplateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm chat-template (-m MODEL | --template FILE) --input CASE.json}: the prompt a chat
 * template renders for the variables in a JSON object ({@code messages}, {@code tools},
 * {@code add_generation_prompt}, …), as Hugging Face's {@code apply_chat_template} would render it.
 * With {@code -m}, the template and the BOS/EOS token texts come from the model.
 */
@Command(name = "chat-template", mixinStandardHelpOptions = true,
        description = {"Render a chat template for the variables in a JSON file and print the prompt as is.",
            "Variables are passed as given; with -m, bos_token and eos_token default to the model's."})
final class ChatTemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the template comes from: a model or a template file. */
    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true,
                description = "A .gguf file (tokenizer.chat_template), a Hugging Face model folder or its tokenizer_config.json.")
        Path model;

        @Option(names = "--template", paramLabel = "FILE", required = true, description = "A Jinja template file.")
        Path template;
    }

    @Option(names = "--input", paramLabel = "CASE.json", required = true,
            description = "A JSON object whose members are the template's variables.")
    Path input;

    @Option(names = "--template-name", paramLabel = "NAME",
            description = "Which of an HF model's named templates to use (default: \"default\", or the only one).")
    String templateName;

    /** A template's text and the token texts its model gives, each null when unknown. */
    private record Loaded(String template, String bos, String eos) {
    }

    @Override
    public Integer call() throws IOException {
        Map<String, Object> variables = readVariables(input);
        Loaded loaded = source.template != null ? new Loaded(readText(source.template), null, null) : fromModel(source.model);
        if (loaded.bos() != null) {
            variables.putIfAbsent("bos_token", loaded.bos());
        }
        if (loaded.eos() != null) {
            variables.putIfAbsent("eos_token", loaded.eos());
        }
        String prompt;
        try {
            prompt = ChatTemplate.parse(loaded.template()).render(variables);
        } catch (TemplateException e) {
            throw new IllegalArgumentException("template error: " + e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(prompt);
        out.flush();
        return 0;
    }

    private static Map<String, Object> readVariables(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(readText(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": invalid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object of template variables");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = JSON.convertValue(root, LinkedHashMap.class);
        return vars;
    }

    private static String readText(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
    }

    private Loaded fromModel(Path model) throws IOException {
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString());
        }
        if (Files.isDirectory(model)) {
            Path config = model.resolve("tokenizer_config.json");
            Path jinja = model.resolve("chat_template.jinja");
            if (!Files.isRegularFile(config)) {
                if (Files.isRegularFile(jinja) && templateName == null) {
                    return new Loaded(readText(jinja), null, null);
                }
                throw new IllegalArgumentException(model + ": no tokenizer_config.json in this folder");
            }
            return fromTokenizerConfig(config, Files.isRegularFile(jinja) ? jinja : null);
        }
        if (GgufFile.hasMagic(model)) {
            return fromGguf(model);
        }
        return fromTokenizerConfig(model, null);
    }

    private Loaded fromTokenizerConfig(Path config, Path jinjaFallback) throws IOException {
        HfTokenizerConfig c = HfTokenizerConfig.read(config);
        String template = templateName != null ? c.chatTemplate(templateName).orElseThrow(() -> new IllegalArgumentException(
                config + ": no chat template named \"" + templateName + "\" (it has " + c.chatTemplates().keySet() + ")"))
                : c.defaultChatTemplate().orElse(null);
        if (template == null && jinjaFallback != null) {
            template = readText(jinjaFallback);
        }
        if (template == null) {
            throw new IllegalArgumentException(config + ": no chat_template"
                    + (c.chatTemplates().isEmpty() ? "" : " named \"default\" among " + c.chatTemplates().keySet()
                    + "; choose one with --template-name"));
        }
        return new Loaded(template, c.bosToken(), c.eosToken());
    }

    private Loaded fromGguf(Path model) throws IOException {
        if (templateName != null) {
            throw new IllegalArgumentException("--template-name applies to Hugging Face models, not GGUF files");
        }
        try (GgufFile g = GgufFile.open(model)) {
            String template = g.findString("tokenizer.chat_template").orElseThrow(() -> new FormatException(model, -1,
                    "tokenizer.chat_template", "the file has no chat template"));
            List<?> tokens = g.metadata().get("tokenizer.ggml.tokens") instanceof List<?> l ? l : List.of();
            return new Loaded(template, tokenText(tokens, g.findLong("tokenizer.ggml.bos_token_id")),
                    tokenText(tokens, g.findLong("tokenizer.ggml.eos_token_id")));
        }
    }

    private static String tokenText(List<?> tokens, OptionalLong id) {
        if (id.isEmpty() || id.getAsLong() < 0 || id.getAsLong() >= tokens.size()) {
            return null;
        }
        return tokens.get((int) id.getAsLong()) instanceof String s ? s : null;
    }
}
