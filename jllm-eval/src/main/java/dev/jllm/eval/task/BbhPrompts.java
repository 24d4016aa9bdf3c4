package dev.jllm.eval.task;

import dev.jllm.eval.scoring.HarnessRegex;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BBH release's {@code cot-prompts/<task>.txt}, read as the harness's config generator reads it: the text after
 * the canary's {@code -----} line, split at {@code "\n\nQ:"} into the task description and three worked examples;
 * each example's question is what follows {@code "Q: "} up to {@code "\nA: "}, and its short answer is what follows
 * the first {@code "answer is "} up to the last character of that line.
 *
 * @param body the file without its canary lines, trailing whitespace removed (the chain-of-thought prefix)
 * @param description the task description, its first paragraph
 * @param examples the worked examples
 */
public record BbhPrompts(String body, String description, List<Example> examples) {
    private static final Pattern SHORT_ANSWER = HarnessRegex.compile("(?<=answer is )(.*)(?=.)");

    /**
     * A worked example.
     *
     * @param input its question
     * @param reasoning the text after {@code "A: "}, from "Let's think step by step." to its final answer
     * @param answer its short answer, e.g. {@code False} or {@code (B)}
     */
    public record Example(String input, String reasoning, String answer) {
    }

    /** Copies the list. */
    public BbhPrompts {
        examples = List.copyOf(examples);
    }

    /**
     * Parses a prompts file.
     *
     * @throws dev.jllm.eval.data.EvalDataException naming the file if an example lacks its {@code "\nA: "} or its
     *     final answer
     */
    public static BbhPrompts parse(Path file, String text) throws dev.jllm.eval.data.EvalDataException {
        int rule = text.indexOf("-----\n");
        String body = (rule >= 0 ? text.substring(rule + "-----\n".length()) : text).stripTrailing();
        String[] parts = body.split("\n\nQ:", -1);
        List<Example> examples = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String shot = parts[i];
            int a = shot.indexOf("\nA: ");
            Matcher m = SHORT_ANSWER.matcher(shot);
            if (a < 0 || !m.find()) {
                throw new dev.jllm.eval.data.EvalDataException(file, 0, "worked example " + i + " lacks \"\\nA: \" or "
                        + "a final \"answer is ...\"");
            }
            examples.add(new Example(shot.substring(shot.startsWith(" ") ? 1 : 0, a), shot.substring(a + 4),
                    m.group(1)));
        }
        return new BbhPrompts(body, parts[0], examples);
    }
}
