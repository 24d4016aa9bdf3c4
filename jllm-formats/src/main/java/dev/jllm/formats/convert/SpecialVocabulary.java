package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.hf.HfTokenizerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The special-token part of GGUF tokenizer metadata, chosen as llama.cpp's {@code SpecialVocab} chooses it:
 * {@code tokenizer.ggml.<kind>_token_id} for each special token {@code tokenizer_config.json} names (or a
 * format's default text when the file names none), {@code add_bos_token}/{@code add_eos_token} when the config
 * sets them, and the chat templates ({@code tokenizer.chat_template}, named ones as
 * {@code tokenizer.chat_template.<name>}).
 */
final class SpecialVocabulary {
    /** The config fields and the GGUF key stems they become, in llama.cpp's order. */
    private static final String[][] KINDS = {{"bos_token", "bos"}, {"eos_token", "eos"}, {"unk_token", "unknown"},
            {"sep_token", "seperator"}, {"pad_token", "padding"}, {"cls_token", "cls"}, {"mask_token", "mask"}};

    private SpecialVocabulary() {
    }

    /**
     * Adds the special-token keys to {@code m}.
     *
     * @param cfg the tokenizer config, or null
     * @param tokens the vocabulary as written to GGUF
     * @param defaults token text by config field ({@code "bos_token"} …) for fields the config leaves out
     */
    static void put(Map<String, GgufValue> m, HfTokenizerConfig cfg, List<String> tokens, Map<String, String> defaults) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = tokens.size() - 1; i >= 0; i--) {
            ids.put(tokens.get(i), i);
        }
        for (String[] k : KINDS) {
            String text = cfg == null ? null : text(cfg, k[0]);
            if (text == null) {
                text = defaults.get(k[0]);
            }
            Integer id = text == null ? null : ids.get(text);
            if (id != null) {
                m.put("tokenizer.ggml." + k[1] + "_token_id", GgufValue.uint32(id));
            }
        }
        if (cfg != null && cfg.addBosToken() != null) {
            m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(cfg.addBosToken()));
        }
        if (cfg != null && cfg.addEosToken() != null) {
            m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(cfg.addEosToken()));
        }
        if (cfg != null) {
            cfg.chatTemplates().forEach((name, template) -> m.put(name.equals(HfTokenizerConfig.DEFAULT_TEMPLATE)
                    ? "tokenizer.chat_template" : "tokenizer.chat_template." + name, GgufValue.string(template)));
        }
    }

    private static String text(HfTokenizerConfig cfg, String field) {
        return switch (field) {
            case "bos_token" -> cfg.bosToken();
            case "eos_token" -> cfg.eosToken();
            case "unk_token" -> cfg.unkToken();
            case "pad_token" -> cfg.padToken();
            default -> {
                JsonNode v = cfg.raw().path(field);
                yield v.isTextual() ? v.asText() : v.path("content").isTextual() ? v.path("content").asText() : null;
            }
        };
    }

    /**
     * Whether an added token looks like a control token although its file does not mark it special, the
     * patterns llama.cpp's converter checks ({@code <|…|>}, {@code <｜…｜>}, {@code <unused…>}, a few names).
     */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || t.startsWith("<|") && t.endsWith("|>") || t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>")
                || t.startsWith("<unused") && t.endsWith(">");
    }
}
