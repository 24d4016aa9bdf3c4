package dev.jllm.eval.task;

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

/**
 * MMLU with zero-shot chain of thought, as the harness's {@code mmlu_flan_cot_zeroshot_<subject>} tasks (what
 * {@code --cot} makes of {@code mmlu_<subject>}): the validation split, each question as
 * {@code "Q: <question>\n(A) <a> (B) <b> (C) <c> (D) <d>\nA: Let's think step by step."} after a description asking
 * for "The answer is (X)"; generation stops at {@code </s>}, {@code Q:} or {@code <|im_end|>}; {@code strict-match}
 * takes what follows the first "The answer is ", "The answer is: ", "answer is ", "The answer: " or
 * "The final answer: ", {@code flexible-extract} the last {@code (X)} (else an option's text, else a label after a
 * colon); exact match against {@code (A)}..{@code (D)} ignoring case and punctuation. With {@code --num-fewshot k}
 * the examples are {@code k} dev questions drawn by {@code Random(1234)} per question, as the harness's default
 * sampler draws them, each followed by its bare label.
 *
 * <p>Data: {@code <data-dir>/mmlu/data/val/<subject>_val.csv} and {@code .../dev/<subject>_dev.csv}.
 */
public final class MmluCotTask implements GenerativeTask {
    /** The prefix of the task and group names. */
    public static final String GROUP = "mmlu_flan_cot_zeroshot";
    /** Where generation stops. */
    public static final List<String> UNTIL = List.of("</s>", "Q:", "<|im_end|>");
    /** The strict filter's pattern. */
    public static final String STRICT = "((?<=The answer is )(.*)(?=.)|(?<=The answer is: )(.*)(?=.)|"
            + "(?<=answer is )(.*)(?=.)|(?<=The answer: )(.*)(?=.)|(?<=The final answer: )(.*)(?=.))";

    private final String subject;
    private final String source;
    private final List<ChoiceDoc> docs;
    private final List<ChoiceDoc> dev;

    private MmluCotTask(String subject, String source, List<ChoiceDoc> docs, List<ChoiceDoc> dev) {
        this.subject = subject;
        this.source = source;
        this.docs = List.copyOf(docs);
        this.dev = List.copyOf(dev);
    }

    static boolean knows(String name) {
        if (name.equals(GROUP)) {
            return true;
        }
        if (!name.startsWith(GROUP + "_")) {
            return false;
        }
        String rest = name.substring(GROUP.length() + 1);
        return Mmlu.CATEGORIES.contains(rest) || Mmlu.subjects().contains(rest);
    }

    /**
     * A subject task, a category group or the whole group; groups hold the subjects whose validation file is present.
     *
     * @throws EvalDataException if a file is missing or malformed, or a group finds no subject
     */
    static TaskNode resolve(String name, Path dataDir) throws IOException {
        Path mmlu = dataDir.resolve("mmlu");
        Path root = Files.isDirectory(mmlu.resolve("data")) ? mmlu.resolve("data") : mmlu;
        String rest = name.equals(GROUP) ? "" : name.substring(GROUP.length() + 1);
        if (Mmlu.subjects().contains(rest)) {
            return load(root, rest, true);
        }
        List<TaskGroup> groups = new ArrayList<>();
        for (String c : Mmlu.CATEGORIES) {
            if (rest.isEmpty() || rest.equals(c)) {
                List<EvalTask> tasks = new ArrayList<>();
                for (String s : Mmlu.subjects()) {
                    MmluCotTask t = Mmlu.category(s).equals(c) ? load(root, s, false) : null;
                    if (t != null) {
                        tasks.add(t);
                    }
                }
                if (!tasks.isEmpty()) {
                    groups.add(new TaskGroup(GROUP + "_" + c, c.replace('_', ' '), List.of(), tasks,
                            List.of("exact_match"), 3.0));
                }
            }
        }
        if (groups.isEmpty()) {
            throw new EvalDataException(root.resolve("val"), 0, "holds no MMLU validation file (<subject>_val.csv)"
                    + (rest.isEmpty() ? "" : " of a " + rest + " subject"));
        }
        return groups.size() == 1 && !rest.isEmpty() ? groups.getFirst()
                : new TaskGroup(GROUP, GROUP, groups, List.of(), List.of("exact_match"), 3.0);
    }

    private static MmluCotTask load(Path root, String subject, boolean required) throws IOException {
        Path val = root.resolve("val").resolve(subject + "_val.csv");
        if (!Files.isRegularFile(val)) {
            if (required) {
                throw new EvalDataException(val, 0, "is missing (the validation split of MMLU " + subject + ")");
            }
            return null;
        }
        Path dev = root.resolve("dev").resolve(subject + "_dev.csv");
        List<ChoiceDoc> pool = Files.isRegularFile(dev) ? Mmlu.read(dev) : List.of();
        return new MmluCotTask(subject, root.toString(), Mmlu.read(val), pool);
    }

    /** The description line. */
    public String description() {
        return "The following are multiple choice questions (with answers) about " + subject.replace('_', ' ')
                + ". Your response should be concise, and you should end with \"The answer is (X)\", where X is the "
                + "correct letter choice.\n\n";
    }

    /** {@code doc_to_text}. */
    public String docToText(ChoiceDoc d) {
        List<String> o = d.options();
        return "Q: " + PythonText.strip(d.question()) + "\n(A) " + o.get(0) + " (B) " + o.get(1) + " (C) " + o.get(2)
                + " (D) " + o.get(3) + "\nA: Let's think step by step.";
    }

    /** The evaluated questions. */
    public List<ChoiceDoc> docs() {
        return docs;
    }

    @Override
    public int shots(Integer requested) {
        int n = requested == null ? 0 : requested;
        if (n < 0 || n > dev.size()) {
            throw new IllegalArgumentException(name() + ": --num-fewshot " + n + " asks for more examples than the "
                    + dev.size() + " of its dev split");
        }
        return n;
    }

    @Override
    public List<String> prompts(int count, int shots) {
        PythonRandom rnd = new PythonRandom(GpqaChoiceTask.FEWSHOT_SEED);
        List<String> out = new ArrayList<>();
        for (ChoiceDoc d : docs.subList(0, count)) {
            StringBuilder b = new StringBuilder(description());
            if (shots > 0) {
                for (int i : rnd.sample(dev.size(), shots)) {
                    ChoiceDoc ex = dev.get(i);
                    b.append(docToText(ex)).append(' ').append(label(ex.answer())).append("\n\n");
                }
            }
            out.add(b.append(docToText(d)).toString());
        }
        return out;
    }

    private static String label(int answer) {
        return "(" + (char) ('A' + answer) + ")";
    }

    @Override
    public String target(int doc) {
        return label(docs.get(doc).answer());
    }

    @Override
    public Map<String, Object> fields(int doc) {
        return new LinkedHashMap<>(docs.get(doc).fields());
    }

    @Override
    public List<String> until() {
        return UNTIL;
    }

    @Override
    public List<AnswerFilter> filters(int doc) {
        return List.of(new AnswerFilter.Regex("strict-match", STRICT, 0),
                AnswerFilter.MultiChoice.of("flexible-extract", -1, docs.get(doc).options()));
    }

    @Override
    public List<String> filterNames() {
        return List.of("strict-match", "flexible-extract");
    }

    @Override
    public ExactMatch exactMatch() {
        return new ExactMatch(List.of(), true, true);
    }

    @Override
    public String name() {
        return GROUP + "_" + subject;
    }

    @Override
    public String alias() {
        return subject;
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
    public Map<String, Object> config(int shots) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("task", name());
        c.put("task_alias", subject);
        c.put("dataset_path", source);
        c.put("dataset_name", subject);
        c.put("validation_split", "validation");
        c.put("fewshot_split", "dev");
        c.put("description", description());
        c.put("doc_to_text", "Q: {{question.strip()}}\n(A) {{choices[0]}} (B) {{choices[1]}} (C) {{choices[2]}} "
                + "(D) {{choices[3]}}\nA: Let's think step by step.");
        c.put("doc_to_target", "{{['(A)', '(B)', '(C)', '(D)'][answer]}}");
        c.put("num_fewshot", shots);
        c.put("output_type", "generate_until");
        c.put("generation_kwargs", Map.of("until", UNTIL, "do_sample", false, "temperature", 0.0));
        c.put("filter_list", List.of(
                Map.of("name", "strict-match", "filter", List.of(Map.of("function", "regex", "regex_pattern", STRICT),
                        Map.of("function", "take_first"))),
                Map.of("name", "flexible-extract", "filter", List.of(Map.of("function", "multi_choice_regex",
                        "group_select", -1, "ignore_case", true, "ignore_punctuation", true,
                        "regex_pattern", "(\\([A-Z]\\))"), Map.of("function", "take_first")))));
        c.put("metric_list", List.of(Map.of("metric", "exact_match", "aggregation", "mean", "higher_is_better", true,
                "ignore_case", true, "ignore_punctuation", true)));
        c.put("metadata", Map.of("version", 3.0));
        return c;
    }
}
