package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.scoring.AnswerFilter;
import dev.jllm.eval.scoring.ExactMatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * BIG-Bench Hard in the harness's four forms, {@code bbh_{fewshot,zeroshot,cot_fewshot,cot_zeroshot}_<task>}, each
 * generated and graded by exact match (see {@link BbhVariant} for prompts, stops and filters). The groups
 * {@code bbh_fewshot}, {@code bbh_zeroshot}, {@code bbh_cot_fewshot}, {@code bbh_cot_zeroshot} run every task whose
 * files are present; {@code bbh} is {@code bbh_cot_fewshot}.
 *
 * <p>Data layout: {@code <data-dir>/bbh/bbh/<task>.json} and {@code <data-dir>/bbh/cot-prompts/<task>.txt}, as the
 * suzgunmirac/BIG-Bench-Hard repository holds them; every form takes its description (and the few-shot forms their
 * examples) from the prompts file.
 */
public final class BbhTask implements GenerativeTask {
    /** The group name the harness's {@code bbh} stands for. */
    public static final String GROUP = BbhVariant.COT_FEWSHOT.group;
    /** The answer when a filter finds none. */
    public static final String INVALID = AnswerFilter.INVALID;

    /**
     * One question.
     *
     * @param id its index in the file
     * @param input the question
     * @param target the gold answer
     */
    public record BbhDoc(int id, String input, String target) {
    }

    private final BbhVariant variant;
    private final String subtask;
    private final String source;
    private final BbhPrompts prompts;
    private final List<BbhDoc> docs;

    private BbhTask(BbhVariant variant, String subtask, String source, BbhPrompts prompts, List<BbhDoc> docs) {
        this.variant = variant;
        this.subtask = subtask;
        this.source = source;
        this.prompts = prompts;
        this.docs = List.copyOf(docs);
    }

    static boolean knows(String name) {
        return name.equals("bbh") || BbhVariant.of(name) != null;
    }

    /**
     * The task {@code bbh_<form>_<task>}, or for a group name every task of that form whose files are present.
     *
     * @throws EvalDataException if a file is missing or malformed, or a group finds no task
     */
    static TaskNode resolve(String name, Path dataDir) throws IOException {
        BbhVariant v = name.equals("bbh") ? BbhVariant.COT_FEWSHOT : BbhVariant.of(name);
        Path root = dataDir.resolve("bbh");
        if (!name.equals("bbh") && !name.equals(v.group)) {
            return load(v, root, name.substring(v.group.length() + 1));
        }
        Path data = root.resolve("bbh");
        if (!Files.isDirectory(data)) {
            throw new EvalDataException(data, 0, "is not a folder of BBH task files (<task>.json)");
        }
        List<EvalTask> tasks = new ArrayList<>();
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                tasks.add(load(v, root, p.getFileName().toString().replaceFirst("\\.json$", "")));
            }
        }
        if (tasks.isEmpty()) {
            throw new EvalDataException(data, 0, "holds no BBH task file");
        }
        return new TaskGroup(v.group, v.group, List.of(), tasks, List.of("exact_match"), v.version);
    }

    private static BbhTask load(BbhVariant v, Path root, String task) throws IOException {
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
        return new BbhTask(v, task, json.toString(), BbhPrompts.parse(prompt, CsvFile.text(prompt)), docs);
    }

    /** The form. */
    public BbhVariant variant() {
        return variant;
    }

    /** The questions. */
    public List<BbhDoc> docs() {
        return docs;
    }

    /** The parsed prompts file. */
    public BbhPrompts promptsFile() {
        return prompts;
    }

    /** The prompt of a question with the form's own number of examples. */
    public String prompt(BbhDoc doc) {
        return prompt(doc, variant.fewshot ? prompts.examples().size() : 0);
    }

    private String prompt(BbhDoc doc, int shots) {
        return switch (variant) {
            case COT_FEWSHOT -> prompts.body() + "\n\nQ: " + doc.input() + "\nA: Let's think step by step.";
            case FEWSHOT -> {
                StringBuilder b = new StringBuilder(prompts.description()).append("\n\n");
                for (BbhPrompts.Example e : prompts.examples().subList(0, shots)) {
                    b.append("Q: ").append(e.input()).append("\nA: ").append(e.answer()).append("\n\n");
                }
                yield b.append("Q: ").append(doc.input()).append("\nA:").toString();
            }
            case ZEROSHOT -> prompts.description() + "\n\nQ: " + doc.input() + "\nA:";
            case COT_ZEROSHOT -> prompts.description() + "\n\nQ: " + doc.input() + "\nA: Let's think step by step.";
        };
    }

    /** The answer after {@code "the answer is "} in a generated text (the cot_fewshot filter), or {@link #INVALID}. */
    public static String extract(String generated) {
        return new AnswerFilter.Regex("get-answer", BbhVariant.COT_FEWSHOT_ANSWER, 0).apply(generated);
    }

    @Override
    public int shots(Integer requested) {
        int max = variant.fewshot ? prompts.examples().size() : 0;
        if (requested == null || variant == BbhVariant.COT_FEWSHOT) {
            return max; // the release's chain-of-thought prompt is used whole, as the harness's bbh does
        }
        if (requested < 0 || requested > max) {
            throw new IllegalArgumentException(name() + " takes at most " + max + " examples (the release's prompts "
                    + "file), not " + requested);
        }
        return requested;
    }

    @Override
    public List<String> prompts(int count, int shots) {
        return docs.subList(0, count).stream().map(d -> prompt(d, shots)).toList();
    }

    @Override
    public String target(int doc) {
        return docs.get(doc).target();
    }

    @Override
    public Map<String, Object> fields(int doc) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("input", docs.get(doc).input());
        f.put("target", docs.get(doc).target());
        return f;
    }

    @Override
    public List<String> until() {
        return variant.until;
    }

    @Override
    public List<AnswerFilter> filters(int doc) {
        return variant.filters(subtask, docs.get(doc).input());
    }

    @Override
    public List<String> filterNames() {
        return variant.filterNames();
    }

    @Override
    public ExactMatch exactMatch() {
        return variant.exactMatch;
    }

    @Override
    public String name() {
        return variant.group + "_" + subtask;
    }

    @Override
    public String alias() {
        return name();
    }

    @Override
    public double version() {
        return variant.version;
    }

    @Override
    public int size() {
        return docs.size();
    }

    @Override
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name());
        c.put("tag", variant.group);
        c.put("dataset_path", source);
        c.put("dataset_name", subtask);
        c.put("test_split", "test");
        c.put("description", variant == BbhVariant.COT_FEWSHOT ? "cot-prompts/" + subtask + ".txt"
                : prompts.description() + "\n\n");
        c.put("doc_to_text", variant.docToText);
        c.put("doc_to_target", "{{target}}");
        c.put("num_fewshot", shots);
        c.put("output_type", "generate_until");
        c.put("generation_kwargs", Map.of("until", variant.until, "do_sample", false, "temperature", 0.0));
        c.put("filter_list", variant.filterConfig(subtask));
        c.put("metric_list", List.of(variant.metricConfig()));
        c.put("metadata", Map.of("version", variant.version));
        return c;
    }
}
