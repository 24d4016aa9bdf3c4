package dev.jllm.runtime.chat;

import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.runtime.sampling.SamplingParams;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceRequest;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.schedule.Ticket;
import dev.jllm.runtime.stop.StopTokens;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A conversation with a model through its chat template: the history is rendered whole for every
 * turn, and the scheduler reuses the cached prefix, so each turn computes only the new text.
 */
public final class ChatSession {
    /** ChatML, for models that carry no template of their own (llama.cpp falls back to it too). */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final Scheduler scheduler;
    private volatile Ticket current;
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
    public ChatSession(Scheduler scheduler, Tokenizer tokenizer, ChatTemplate template, int[] endIds,
            String systemPrompt) {
        this.scheduler = scheduler;
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
        return ChatPrompt.render(template, tokenizer, history);
    }

    /**
     * Adds a user turn and generates the answer, which joins the history (also when {@link #cancel}
     * cut it short).
     *
     * @param maxTokens most tokens of the answer, -1 for no limit
     * @throws dev.jllm.runtime.ContextOverflowException if the conversation no longer fits the context
     * @throws InterruptedException if the waiting thread is interrupted (the answer is then cancelled)
     */
    public SequenceResult send(String userText, SamplingParams params, List<String> stops, int maxTokens,
            SequenceListener listener) throws InterruptedException {
        List<Map<String, Object>> next = new ArrayList<>(messages);
        next.add(message("user", userText));
        String prompt = render(next);
        // the template writes BOS itself where the model wants one (HF does not add special tokens here)
        int[] ids = tokenizer.encode(prompt, false, true);
        Ticket ticket = scheduler.submit(new SequenceRequest(ids, params, StopTokens.of(endIds), stops, maxTokens),
                listener);
        current = ticket;
        SequenceResult r;
        try {
            r = ticket.await();
        } catch (InterruptedException e) {
            ticket.cancel();
            throw e;
        } finally {
            current = null;
        }
        messages.clear();
        messages.addAll(next);
        messages.add(message("assistant", r.text()));
        return r;
    }

    /** Stops the answer being generated, if any; safe from any thread (a Ctrl-C handler). */
    public void cancel() {
        Ticket t = current;
        if (t != null) {
            t.cancel();
        }
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
