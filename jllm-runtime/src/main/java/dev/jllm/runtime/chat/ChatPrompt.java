package dev.jllm.runtime.chat;

import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders a conversation through a model's chat template with the variables HF's renderer passes. */
public final class ChatPrompt {
    private ChatPrompt() {
    }

    /**
     * The prompt text for {@code messages} (maps with at least {@code role} and {@code content}),
     * followed by the assistant's generation prompt.
     *
     * @throws dev.jllm.formats.template.TemplateException when the template refuses the conversation
     */
    public static String render(ChatTemplate template, Tokenizer tokenizer, List<? extends Map<String, ?>> messages) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", true);
        // HF passes tools=None, which templates test with "is not none" (an undefined value would pass)
        vars.put("tools", null);
        vars.put("bos_token", tokenizer.bosId() >= 0 ? tokenizer.token(tokenizer.bosId()) : "");
        int[] eos = tokenizer.eosIds();
        vars.put("eos_token", eos.length > 0 ? tokenizer.token(eos[0]) : "");
        return template.render(vars);
    }
}
