package dev.jllm.server;

import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.runtime.schedule.Scheduler;

/**
 * The model a server answers for.
 *
 * @param id the name clients use in {@code model} (and {@code /v1/models} lists)
 * @param scheduler runs its sequences
 * @param tokenizer its tokenizer (a served model needs one: requests are text)
 * @param template its chat template (the model's own, or ChatML)
 * @param endIds the ids that end an answer
 * @param created when it was loaded, in seconds since the epoch
 */
public record ServedModel(String id, Scheduler scheduler, Tokenizer tokenizer, ChatTemplate template, int[] endIds,
        long created) {
    /** Checks that every part is present. */
    public ServedModel {
        if (id == null || id.isBlank() || scheduler == null || tokenizer == null || template == null || endIds == null) {
            throw new IllegalArgumentException("a served model needs an id, a scheduler, a tokenizer, a chat template "
                    + "and end ids");
        }
        endIds = endIds.clone();
    }

    @Override
    public int[] endIds() {
        return endIds.clone();
    }
}
