package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.EvalDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * BIG-Bench Hard with chain-of-thought few-shot prompts, generated and graded as the harness's
 * {@code bbh_cot_fewshot} tasks: the model continues the prompt until {@code "Q"}, a blank line or {@code </s>}; the
 * answer is what follows the first {@code "the answer is "} up to the last character of that line (regex
 * {@code (?<=the answer is )(.*)(?=.)}, {@code "[invalid]"} when absent); exact_match compares it with the target.
 * With several samples per question (self-consistency) the most frequent answer is graded.
 *
 * <p>The prompt is the BBH release's own: the task's {@code cot-prompts/<task>.txt} (description and three worked
 * examples, canary lines dropped), then {@code "\n\nQ: <input>\nA: Let's think step by step."}. Data layout:
 * {@code <data-dir>/bbh/bbh/<task>.json} and {@code <data-dir>/bbh/cot-prompts/<task>.txt}, as the
 * suzgunmirac/BIG-Bench-Hard repository holds them; {@code bbh} runs every task present.
 */
public final class BbhTask implements EvalTask {
    /** The group of every task present. */
    public static final String GROUP = "bbh_cot_fewshot";
    /** Where generation stops. */
    public static final List<String> UNTIL = List.of("</s>", "Q", "\n\n");
    /** The answer's pattern. */
    public static final Pattern ANSWER = Pattern.compile("(?<=the answer is )(.*)(?=.)");
    /** The answer when the pattern finds none. */
    public static final String INVALID = "[invalid]";

    /**
     * One question.
     *
     * @param id its index in the file
     * @param input the question
     * @param target the gold answer
     */
    public record BbhDoc(int id, String input, String target) {
    }

    private final String subtask;
    private final String source;
    private final String fewshotPrompt;
    private final List<BbhDoc> docs;

    private BbhTask(String subtask, String source, String fewshotPrompt, List<BbhDoc> docs) {
        this.subtask = subtask;
        this.source = source;
        this.fewshotPrompt = fewshotPrompt;
        this.docs = List.copyOf(docs);
    }

    static boolean knows(String name) {
        return name.equals("bbh") || name.equals(GROUP) || name.startsWith(GROUP + "_");
    }

    /**
     * The task {@code bbh_cot_fewshot_<task>}, or for {@code bbh} / {@code bbh_cot_fewshot} the group of every task
     * whose files are present.
     *
     * @throws EvalDataException if a file is missing or malformed
     */
    static TaskNode resolve(String name, Path dataDir) throws IOException {
        Path root = dataDir.resolve("bbh");
        if (name.startsWith(GROUP + "_")) {
            return load(root, name.substring(GROUP.length() + 1));
        }
        Path data = root.resolve("bbh");
        if (!Files.isDirectory(data)) {
            throw new EvalDataException(data, 0, "is not a folder of BBH task files (<task>.json)");
        }
        List<EvalTask> tasks = new ArrayList<>();
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                String task = p.getFileName().toString().replaceFirst("\\.json$", "");
                tasks.add(load(root, task));
            }
        }
        if (tasks.isEmpty()) {
            throw new EvalDataException(data, 0, "holds no BBH task file");
        }
        return new TaskGroup(GROUP, GROUP, List.of(), tasks, List.of("exact_match"), 3.0);
    }

    private static BbhTask load(Path root, String task) throws IOException {
        Path json = root.resolve("bbh").resolve(task + ".json");
        Path prompt = root.resolve("cot-prompts").resolve(task + ".txt");
        for (Path p : List.of(json, prompt)) {
            if (!Files.isRegularFile(p)) {
                throw new EvalDataException(p, 0, "is missing (BBH task " + task + ")");
            }
        }
        JsonNode tree;
        try {
            tree = new ObjectMapper().readTree(CsvFile.text(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new EvalDataException(json, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                    "is not JSON: " + e.getOriginalMessage());
        }
        JsonNode examples = tree == null ? null : tree.get("examples");
        if (examples == null || !examples.isArray() || examples.isEmpty()) {
            throw new EvalDataException(json, 0, "has no \"examples\" array");
        }
        List<BbhDoc> docs = new ArrayList<>();
        for (JsonNode e : examples) {
            JsonNode input = e.get("input");
            JsonNode target = e.get("target");
            if (input == null || !input.isTextual() || target == null || !target.isTextual()) {
                throw new EvalDataException(json, 0, "example " + docs.size() + " lacks a text \"input\" or \"target\"");
            }
            docs.add(new BbhDoc(docs.size(), input.asText(), target.asText()));
        }
        return new BbhTask(task, json.toString(), fewshotPrefix(CsvFile.text(prompt)), docs);
    }

    /** The prompt file without its canary lines: what follows the {@code -----} line, trailing whitespace removed. */
    static String fewshotPrefix(String file) {
        int rule = file.indexOf("-----\n");
        String body = rule >= 0 ? file.substring(rule + "-----\n".length()) : file;
        return body.stripTrailing();
    }

    /** The questions. */
    public List<BbhDoc> docs() {
        return docs;
    }

    /** The prompt of a question. */
    public String prompt(BbhDoc doc) {
        return fewshotPrompt + "\n\nQ: " + doc.input() + "\nA: Let's think step by step.";
    }

    /** The answer in a generated text, or {@link #INVALID}. */
    public static String extract(String generated) {
        Matcher m = ANSWER.matcher(generated);
        return m.find() ? m.group(1).strip() : INVALID;
    }

    /** The most frequent answer, the earliest seen first among equally frequent ones. */
    public static String majority(List<String> answers) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : answers) {
            counts.merge(a, 1, Integer::sum);
        }
        String best = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (best == null || e.getValue() > counts.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    @Override
    public String name() {
        return GROUP + "_" + subtask;
    }

    @Override
    public String alias() {
        return name();
    }

    @Override
    public String filter() {
        return "get-answer";
    }

    @Override
    public double version() {
        return 3.0;
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public List<String> metrics() {
        return List.of("exact_match");
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name());
        c.put("dataset_path", source);
        c.put("dataset_name", subtask);
        c.put("test_split", "test");
        c.put("doc_to_text", "Q: {{input}}\nA: Let's think step by step.");
        c.put("doc_to_target", "{{target}}");
        c.put("description", "cot-prompts/" + subtask + ".txt");
        c.put("num_fewshot", 3);
        c.put("output_type", "generate_until");
        c.put("generation_kwargs", Map.of("until", UNTIL));
        c.put("filter_list", List.of(Map.of("name", "get-answer", "filter", List.of(
                Map.of("function", "regex", "regex_pattern", ANSWER.pattern()), Map.of("function", "take_first")))));
        c.put("metric_list", List.of(Map.of("metric", "exact_match", "aggregation", "mean", "higher_is_better", true)));
        c.put("metadata", Map.of("version", 3.0));
        return c;
    }
}
