package dev.jllm.eval.task;

/**
 * One text a perplexity task scores.
 *
 * @param name where it came from (its file name)
 * @param text the whole text
 */
public record TextDoc(String name, String text) {
}
