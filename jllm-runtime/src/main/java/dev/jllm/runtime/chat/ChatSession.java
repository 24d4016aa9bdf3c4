package dev.jllm.runtime.chat;

import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.runtime.Completion;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.stop.StopConditions;
import dev.jllm.runtime.stop.StopTokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A conversation with a model through its chat template: the history is rendered whole for every
 * turn, and the generator reuses the cached prefix, so each turn computes only the new text.
 */
public final class ChatSession {
    /** ChatML, for models that carry no template of their own (llama.cpp falls back to it too). */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final Generator generator;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int[] endIds;
    private final String systemPrompt;
    private final List<Map<String, Object>> messages = new ArrayList<>();

    /**
     * A session with an empty history.
     *
     * @param endIds the ids that end an answer (the model's EOS and end-of-turn ids)
     * @param systemPrompt the system message, or null for none
     */
    public ChatSession(Generator generator, Tokenizer tokenizer, ChatTemplate template, int[] endIds,
            String systemPrompt) {
        this.generator = generator;
        this.tokenizer = tokenizer;
        this.template = template;
        this.endIds = endIds.clone();
        this.systemPrompt = systemPrompt;
        reset();
    }

    /** Forgets the conversation (the system prompt stays). */
    public void reset() {
        messages.clear();
        if (systemPrompt != null) {
            messages.add(message("system", systemPrompt));
        }
    }

    /** The messages so far, as the template sees them. */
    public List<Map<String, Object>> messages() {
        return List.copyOf(messages);
    }

    /**
     * The prompt the template renders for the history plus the generation prompt.
     *
     * @throws dev.jllm.formats.template.TemplateException when the template refuses the conversation
     */
    public String render(List<Map<String, Object>> history) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", history);
        vars.put("add_generation_prompt", true);
        // HF passes tools=None, which templates test with "is not none" (an undefined value would pass)
        vars.put("tools", null);
        vars.put("bos_token", tokenizer.bosId() >= 0 ? tokenizer.token(tokenizer.bosId()) : "");
        int[] eos = tokenizer.eosIds();
        vars.put("eos_token", eos.length > 0 ? tokenizer.token(eos[0]) : "");
        return template.render(vars);
    }

    /**
     * Adds a user turn and generates the answer, which joins the history unless the answer was
     * cancelled before any text.
     *
     * @param maxTokens most tokens of the answer, -1 for no limit
     */
    public Completion.Result send(String userText, SamplingParams params, List<String> stops, int maxTokens,
            Completion.Listener listener, BooleanSupplier cancelled) {
        List<Map<String, Object>> next = new ArrayList<>(messages);
        next.add(message("user", userText));
        String prompt = render(next);
        // the template writes BOS itself where the model wants one (HF does not add special tokens here)
        int[] ids = tokenizer.encode(prompt, false, true);
        StopConditions stop = new StopConditions(StopTokens.of(endIds), stops, maxTokens);
        Completion.Result r = Completion.run(generator, tokenizer, ids, params, stop, listener, cancelled);
        messages.clear();
        messages.addAll(next);
        messages.add(message("assistant", r.text()));
        return r;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
