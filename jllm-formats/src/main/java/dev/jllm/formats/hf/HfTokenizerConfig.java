package dev.jllm.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code tokenizer_config.json}. Special tokens are given either as a string or as an
 * {@code AddedToken} object ({@code {"__type": "AddedToken", "content": "<s>", ...}}); both read as
 * the token's text. The chat template is either one string or a list of {@code {name, template}}
 * objects; both read as a map from name to template, a lone string under {@code "default"}.
 *
 * @param file the file read
 * @param addBosToken {@code add_bos_token}, or null
 * @param addEosToken {@code add_eos_token}, or null
 * @param bosToken text of {@code bos_token}, or null
 * @param eosToken text of {@code eos_token}, or null
 * @param unkToken text of {@code unk_token}, or null
 * @param padToken text of {@code pad_token}, or null
 * @param additionalSpecialTokens texts of {@code additional_special_tokens}
 * @param chatTemplates templates by name, in file order; empty when there is none
 * @param modelMaxLength {@code model_max_length}, clamped to {@link Long#MAX_VALUE} (HF writes 1e30 for "no limit")
 * @param tokenizerClass {@code tokenizer_class}, or null
 * @param doLowerCase {@code do_lower_case} (BERT), or null
 * @param addPrefixSpace {@code add_prefix_space}, or null
 * @param cleanUpTokenizationSpaces {@code clean_up_tokenization_spaces}, or null
 * @param raw the whole document
 */
public record HfTokenizerConfig(Path file, Boolean addBosToken, Boolean addEosToken, String bosToken, String eosToken,
        String unkToken, String padToken, List<String> additionalSpecialTokens, Map<String, String> chatTemplates,
        Long modelMaxLength, String tokenizerClass, Boolean doLowerCase, Boolean addPrefixSpace,
        Boolean cleanUpTokenizationSpaces, JsonNode raw) {

    /** Name under which a chat template given as one string is kept, and the one used when none is asked for. */
    public static final String DEFAULT_TEMPLATE = "default";

    /**
     * Reads a {@code tokenizer_config.json}.
     *
     * @throws FormatException naming the file and the field when the JSON is malformed or a field has the wrong type
     */
    public static HfTokenizerConfig read(Path file) throws IOException {
        return parse(JsonFields.read(file));
    }

    /** Reads an already parsed document; {@code file} only names it in errors. */
    public static HfTokenizerConfig of(Path file, JsonNode root) throws FormatException {
        return parse(JsonFields.of(file, root));
    }

    private static HfTokenizerConfig parse(JsonFields f) throws FormatException {
        List<String> additional = new ArrayList<>();
        JsonNode extra = f.raw("additional_special_tokens");
        if (extra != null) {
            if (!extra.isArray()) {
                throw f.invalid("additional_special_tokens", "expected a list of tokens");
            }
            for (int i = 0; i < extra.size(); i++) {
                additional.add(tokenText(f, "additional_special_tokens[" + i + "]", extra.get(i)));
            }
        }
        Long maxLength = f.saturatedLong("model_max_length");
        if (maxLength != null && maxLength <= 0) {
            throw f.invalid("model_max_length", "must be positive, is " + maxLength);
        }
        return new HfTokenizerConfig(f.file(), f.bool("add_bos_token"), f.bool("add_eos_token"),
                tokenText(f, "bos_token", f.raw("bos_token")), tokenText(f, "eos_token", f.raw("eos_token")),
                tokenText(f, "unk_token", f.raw("unk_token")), tokenText(f, "pad_token", f.raw("pad_token")),
                List.copyOf(additional), chatTemplates(f), maxLength, f.string("tokenizer_class"),
                f.bool("do_lower_case"), f.bool("add_prefix_space"), f.bool("clean_up_tokenization_spaces"), f.node());
    }

    /** The text of a token written as a string or as an AddedToken object; null for JSON null or absence. */
    private static String tokenText(JsonFields f, String field, JsonNode v) throws FormatException {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isObject() && v.get("content") != null && v.get("content").isTextual()) {
            return v.get("content").textValue();
        }
        throw f.invalid(field, "expected a token string or an AddedToken object with a string \"content\", found "
                + abbreviate(v));
    }

    private static Map<String, String> chatTemplates(JsonFields f) throws FormatException {
        JsonNode v = f.raw("chat_template");
        if (v == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (v.isTextual()) {
            out.put(DEFAULT_TEMPLATE, v.textValue());
        } else if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                JsonNode name = e.get("name");
                JsonNode template = e.get("template");
                if (!e.isObject() || name == null || !name.isTextual() || template == null || !template.isTextual()) {
                    throw f.invalid("chat_template[" + i + "]", "expected {\"name\": string, \"template\": string}, found "
                            + abbreviate(e));
                }
                if (out.put(name.textValue(), template.textValue()) != null) {
                    throw f.invalid("chat_template[" + i + "]", "second template named \"" + name.textValue() + "\"");
                }
            }
        } else {
            throw f.invalid("chat_template", "expected a template string or a list of {name, template}, found "
                    + abbreviate(v));
        }
        return Collections.unmodifiableMap(out);
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /**
     * The default chat template of an HF model folder: its {@code tokenizer_config.json}'s, else a
     * {@code chat_template.jinja} beside it (the file newer transformers versions save), else none.
     */
    public static Optional<String> defaultChatTemplateOf(Path folder) throws IOException {
        Path config = folder.resolve("tokenizer_config.json");
        if (java.nio.file.Files.isRegularFile(config)) {
            Optional<String> t = read(config).defaultChatTemplate();
            if (t.isPresent()) {
                return t;
            }
        }
        Path jinja = folder.resolve("chat_template.jinja");
        return java.nio.file.Files.isRegularFile(jinja) ? Optional.of(java.nio.file.Files.readString(jinja))
                : Optional.empty();
    }

    /** The template called {@code name}. */
    public Optional<String> chatTemplate(String name) {
        return Optional.ofNullable(chatTemplates.get(name));
    }

    /** The template used when none is named: {@code "default"}, or the only one there is. */
    public Optional<String> defaultChatTemplate() {
        String t = chatTemplates.get(DEFAULT_TEMPLATE);
        if (t == null && chatTemplates.size() == 1) {
            t = chatTemplates.values().iterator().next();
        }
        return Optional.ofNullable(t);
    }
}
