package dev.jllm.eval.task;

import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.CsvRecord;
import dev.jllm.eval.data.EvalDataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MMLU (Hendrycks et al.) as the harness's {@code mmlu} group: 57 subject tasks {@code mmlu_<subject>} scored on
 * the test split with few-shot examples from the dev split, in four groups weighted by size.
 *
 * <p>Data layout, as the original release unpacks: {@code <data-dir>/mmlu/data/{dev,val,test}/<subject>_<split>.csv}
 * ({@code <data-dir>/mmlu/{dev,val,test}} also works), each row {@code question,A,B,C,D,answer} without a header,
 * the answer a letter A-D. A group runs the subjects whose test file is present.
 */
public final class Mmlu {
    /** The group of all subjects. */
    public static final String GROUP = "mmlu";
    /** The category groups in the order the harness's {@code mmlu} group lists them. */
    public static final List<String> CATEGORIES = List.of("stem", "other", "social_sciences", "humanities");

    private static final Map<String, String> SUBJECTS = new LinkedHashMap<>();

    static {
        String[][] table = {
            {"abstract_algebra", "stem"}, {"anatomy", "stem"}, {"astronomy", "stem"}, {"business_ethics", "other"},
            {"clinical_knowledge", "other"}, {"college_biology", "stem"}, {"college_chemistry", "stem"},
            {"college_computer_science", "stem"}, {"college_mathematics", "stem"}, {"college_medicine", "other"},
            {"college_physics", "stem"}, {"computer_security", "stem"}, {"conceptual_physics", "stem"},
            {"econometrics", "social_sciences"}, {"electrical_engineering", "stem"},
            {"elementary_mathematics", "stem"}, {"formal_logic", "humanities"}, {"global_facts", "other"},
            {"high_school_biology", "stem"}, {"high_school_chemistry", "stem"},
            {"high_school_computer_science", "stem"}, {"high_school_european_history", "humanities"},
            {"high_school_geography", "social_sciences"}, {"high_school_government_and_politics", "social_sciences"},
            {"high_school_macroeconomics", "social_sciences"}, {"high_school_mathematics", "stem"},
            {"high_school_microeconomics", "social_sciences"}, {"high_school_physics", "stem"},
            {"high_school_psychology", "social_sciences"}, {"high_school_statistics", "stem"},
            {"high_school_us_history", "humanities"}, {"high_school_world_history", "humanities"},
            {"human_aging", "other"}, {"human_sexuality", "social_sciences"}, {"international_law", "humanities"},
            {"jurisprudence", "humanities"}, {"logical_fallacies", "humanities"}, {"machine_learning", "stem"},
            {"management", "other"}, {"marketing", "other"}, {"medical_genetics", "other"},
            {"miscellaneous", "other"}, {"moral_disputes", "humanities"}, {"moral_scenarios", "humanities"},
            {"nutrition", "other"}, {"philosophy", "humanities"}, {"prehistory", "humanities"},
            {"professional_accounting", "other"}, {"professional_law", "humanities"},
            {"professional_medicine", "other"}, {"professional_psychology", "social_sciences"},
            {"public_relations", "social_sciences"}, {"security_studies", "social_sciences"},
            {"sociology", "social_sciences"}, {"us_foreign_policy", "social_sciences"}, {"virology", "other"},
            {"world_religions", "humanities"},
        };
        for (String[] row : table) {
            SUBJECTS.put(row[0], row[1]);
        }
    }

    private Mmlu() {
    }

    /** The 57 subjects, alphabetical. */
    public static List<String> subjects() {
        return List.copyOf(SUBJECTS.keySet());
    }

    /** The category of a subject: stem, other, social_sciences or humanities. */
    public static String category(String subject) {
        return SUBJECTS.get(subject);
    }

    /** The description line of a subject's prompts. */
    public static String description(String subject) {
        return "The following are multiple choice questions (with answers) about " + subject.replace('_', ' ') + ".\n\n";
    }

    /** Whether {@code name} is an MMLU task or group. */
    static boolean knows(String name) {
        return name.equals(GROUP) || isCategoryGroup(name) || isSubjectTask(name);
    }

    private static boolean isCategoryGroup(String name) {
        return name.startsWith(GROUP + "_") && CATEGORIES.contains(name.substring(GROUP.length() + 1));
    }

    private static boolean isSubjectTask(String name) {
        return name.startsWith(GROUP + "_") && SUBJECTS.containsKey(name.substring(GROUP.length() + 1));
    }

    /**
     * The task or group {@code name} over the data under {@code dataDir}: a subject task, a category group or the
     * whole benchmark, groups holding the subjects whose test file is present.
     *
     * @throws EvalDataException if a file is missing or malformed, or a group finds no subject
     */
    static TaskNode resolve(String name, Path dataDir) throws IOException {
        Path root = root(dataDir);
        if (isSubjectTask(name)) {
            return task(root, name.substring(GROUP.length() + 1), true);
        }
        if (isCategoryGroup(name)) {
            TaskGroup g = categoryGroup(root, name.substring(GROUP.length() + 1));
            if (g.tasks().isEmpty()) {
                throw new EvalDataException(root.resolve("test"), 0, "holds no test file of an MMLU " + g.alias()
                        + " subject");
            }
            return g;
        }
        List<TaskGroup> groups = new ArrayList<>();
        for (String c : CATEGORIES) {
            TaskGroup g = categoryGroup(root, c);
            if (!g.tasks().isEmpty()) {
                groups.add(g);
            }
        }
        if (groups.isEmpty()) {
            throw new EvalDataException(root.resolve("test"), 0, "holds no MMLU test file (<subject>_test.csv)");
        }
        return new TaskGroup(GROUP, GROUP, groups, List.of(), List.of("acc"), 2);
    }

    private static Path root(Path dataDir) {
        Path mmlu = dataDir.resolve("mmlu");
        return Files.isDirectory(mmlu.resolve("data")) ? mmlu.resolve("data") : mmlu;
    }

    private static TaskGroup categoryGroup(Path root, String category) throws IOException {
        List<EvalTask> tasks = new ArrayList<>();
        for (Map.Entry<String, String> e : SUBJECTS.entrySet()) {
            if (e.getValue().equals(category)) {
                MultipleChoiceTask t = task(root, e.getKey(), false);
                if (t != null) {
                    tasks.add(t);
                }
            }
        }
        return new TaskGroup(GROUP + "_" + category, category.replace('_', ' '), List.of(), tasks, List.of("acc"), 1);
    }

    /** The subject's task, or null when its test file is absent and {@code required} is false. */
    private static MultipleChoiceTask task(Path root, String subject, boolean required) throws IOException {
        Path test = root.resolve("test").resolve(subject + "_test.csv");
        if (!Files.isRegularFile(test)) {
            if (required) {
                throw new EvalDataException(test, 0, "is missing (the test split of MMLU " + subject + ")");
            }
            return null;
        }
        Path dev = root.resolve("dev").resolve(subject + "_dev.csv");
        if (!Files.isRegularFile(dev)) {
            throw new EvalDataException(dev, 0, "is missing (the few-shot split of MMLU " + subject + ")");
        }
        MultipleChoiceTask.Spec spec = new MultipleChoiceTask.Spec(GROUP + "_" + subject, subject,
                root.toString(), subject, "test", description(subject), "Answer:",
                "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:",
                List.of("acc"), 1.0);
        return new MultipleChoiceTask(spec, read(test), read(dev));
    }

    /**
     * The questions of one MMLU CSV file.
     *
     * @throws EvalDataException naming the file and line of a row that is not {@code question,A,B,C,D,answer}
     */
    public static List<ChoiceDoc> read(Path file) throws IOException {
        List<ChoiceDoc> docs = new ArrayList<>();
        for (CsvRecord r : CsvFile.read(file)) {
            List<String> f = r.fields();
            if (f.size() == 5) {
                throw new EvalDataException(file, r.line(), "the answer column is missing (5 fields; a row is "
                        + "question,A,B,C,D,answer)");
            }
            if (f.size() != 6) {
                throw new EvalDataException(file, r.line(), "has " + f.size() + " fields; a row is question,A,B,C,D,answer");
            }
            int answer = MultipleChoiceTask.LABELS.indexOf(f.get(5).strip());
            if (answer < 0) {
                throw new EvalDataException(file, r.line(), "the answer \"" + f.get(5) + "\" is not one of A, B, C, D");
            }
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("question", f.get(0));
            for (int i = 0; i < 4; i++) {
                fields.put(MultipleChoiceTask.LABELS.get(i), f.get(i + 1));
            }
            fields.put("answer", f.get(5));
            docs.add(new ChoiceDoc(docs.size(), f.get(0), f.subList(1, 5), answer, fields));
        }
        if (docs.isEmpty()) {
            throw new EvalDataException(file, 0, "holds no questions");
        }
        return docs;
    }
}
