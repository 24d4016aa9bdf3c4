package dev.jllm.formats.hf;

import dev.jllm.formats.FormatException;

/**
 * The GPT-2 names of the hyperparameters in a {@code config.json}; each is null when absent.
 *
 * @param nEmbd width ({@code n_embd})
 * @param nLayer blocks ({@code n_layer})
 * @param nHead heads ({@code n_head})
 * @param nPositions context length ({@code n_positions})
 * @param nInner feed-forward width ({@code n_inner}; null means four times the width)
 * @param activationFunction {@code activation_function}, e.g. {@code gelu_new}
 */
public record HfGpt2Fields(Integer nEmbd, Integer nLayer, Integer nHead, Integer nPositions, Integer nInner,
        String activationFunction) {

    static HfGpt2Fields read(JsonFields f) throws FormatException {
        return new HfGpt2Fields(f.integer("n_embd"), f.integer("n_layer"), f.integer("n_head"),
                f.integer("n_positions"), f.integer("n_inner"), f.string("activation_function"));
    }
}
