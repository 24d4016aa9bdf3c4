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
 * C-Eval's validation set as the harness's {@code ceval-valid} group: 52 subject tasks {@code ceval-valid_<subject>}
 * scored on the val split with few-shot examples from the dev split, with the harness's Chinese template, reporting
 * acc and acc_norm.
 *
 * <p>Data layout, as the ceval-exam release unpacks: {@code <data-dir>/ceval/{dev,val}/<subject>_<split>.csv}, each
 * with a header naming at least {@code question,A,B,C,D,answer} (dev files add {@code explanation}). The group runs
 * the subjects whose val file is present.
 */
public final class CEval {
    /** The group of all subjects. */
    public static final String GROUP = "ceval-valid";

    private static final Map<String, String> SUBJECTS = new LinkedHashMap<>();

    static {
        String[][] table = {
            {"computer_network", "计算机网络"}, {"operating_system", "操作系统"}, {"computer_architecture", "计算机组成"},
            {"college_programming", "大学编程"}, {"college_physics", "大学物理"}, {"college_chemistry", "大学化学"},
            {"advanced_mathematics", "高等数学"}, {"probability_and_statistics", "概率统计"},
            {"discrete_mathematics", "离散数学"}, {"electrical_engineer", "注册电气工程师"},
            {"metrology_engineer", "注册计量师"}, {"high_school_mathematics", "高中数学"},
            {"high_school_physics", "高中物理"}, {"high_school_chemistry", "高中化学"}, {"high_school_biology", "高中生物"},
            {"middle_school_mathematics", "初中数学"}, {"middle_school_biology", "初中生物"},
            {"middle_school_physics", "初中物理"}, {"middle_school_chemistry", "初中化学"},
            {"veterinary_medicine", "兽医学"}, {"college_economics", "大学经济学"},
            {"business_administration", "工商管理"}, {"marxism", "马克思主义基本原理"},
            {"mao_zedong_thought", "毛泽东思想和中国特色社会主义理论体系概论"}, {"education_science", "教育学"},
            {"teacher_qualification", "教师资格"}, {"high_school_politics", "高中政治"},
            {"high_school_geography", "高中地理"}, {"middle_school_politics", "初中政治"},
            {"middle_school_geography", "初中地理"}, {"modern_chinese_history", "近代史纲要"},
            {"ideological_and_moral_cultivation", "思想道德修养与法律基础"}, {"logic", "逻辑学"}, {"law", "法学"},
            {"chinese_language_and_literature", "中国语言文学"}, {"art_studies", "艺术学"},
            {"professional_tour_guide", "导游资格"}, {"legal_professional", "法律职业资格"},
            {"high_school_chinese", "高中语文"}, {"high_school_history", "高中历史"},
            {"middle_school_history", "初中历史"}, {"civil_servant", "公务员"}, {"sports_science", "体育学"},
            {"plant_protection", "植物保护"}, {"basic_medicine", "基础医学"}, {"clinical_medicine", "临床医学"},
            {"urban_and_rural_planner", "注册城乡规划师"}, {"accountant", "注册会计师"}, {"fire_engineer", "注册消防工程师"},
            {"environmental_impact_assessment_engineer", "环境影响评价工程师"}, {"tax_accountant", "税务师"},
            {"physician", "医师资格"},
        };
        for (String[] row : table) {
            SUBJECTS.put(row[0], row[1]);
        }
    }

    private static final List<String> COLUMNS = List.of("question", "A", "B", "C", "D", "answer");

    private CEval() {
    }

    /** The 52 subjects in the harness's order. */
    public static List<String> subjects() {
        return List.copyOf(SUBJECTS.keySet());
    }

    /** The description line of a subject's prompts, naming the subject in Chinese. */
    public static String description(String subject) {
        return "以下是中国关于" + SUBJECTS.get(subject) + "的单项选择题，请选出其中的正确答案。\n\n";
    }

    static boolean knows(String name) {
        return name.equals(GROUP) || isSubjectTask(name);
    }

    private static boolean isSubjectTask(String name) {
        return name.startsWith(GROUP + "_") && SUBJECTS.containsKey(name.substring(GROUP.length() + 1));
    }

    /**
     * The task or the group {@code name} over the data under {@code dataDir}.
     *
     * @throws EvalDataException if a file is missing or malformed, or the group finds no subject
     */
    static TaskNode resolve(String name, Path dataDir) throws IOException {
        Path root = dataDir.resolve("ceval");
        if (isSubjectTask(name)) {
            return task(root, name.substring(GROUP.length() + 1), true);
        }
        List<EvalTask> tasks = new ArrayList<>();
        for (String subject : SUBJECTS.keySet()) {
            MultipleChoiceTask t = task(root, subject, false);
            if (t != null) {
                tasks.add(t);
            }
        }
        if (tasks.isEmpty()) {
            throw new EvalDataException(root.resolve("val"), 0, "holds no C-Eval val file (<subject>_val.csv)");
        }
        return new TaskGroup(GROUP, GROUP, List.of(), tasks, List.of("acc", "acc_norm"), 1.0);
    }

    private static MultipleChoiceTask task(Path root, String subject, boolean required) throws IOException {
        Path val = root.resolve("val").resolve(subject + "_val.csv");
        if (!Files.isRegularFile(val)) {
            if (required) {
                throw new EvalDataException(val, 0, "is missing (the val split of C-Eval " + subject + ")");
            }
            return null;
        }
        Path dev = root.resolve("dev").resolve(subject + "_dev.csv");
        if (!Files.isRegularFile(dev)) {
            throw new EvalDataException(dev, 0, "is missing (the few-shot split of C-Eval " + subject + ")");
        }
        String name = GROUP + "_" + subject;
        MultipleChoiceTask.Spec spec = new MultipleChoiceTask.Spec(name, name, root.toString(), subject, "val",
                description(subject), "答案：", "{{question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n答案：",
                List.of("acc", "acc_norm"), 1.0);
        return new MultipleChoiceTask(spec, read(val), read(dev));
    }

    /**
     * The questions of one C-Eval CSV file.
     *
     * @throws EvalDataException naming the file and line when the header lacks a column or a row is malformed
     */
    public static List<ChoiceDoc> read(Path file) throws IOException {
        List<CsvRecord> records = CsvFile.read(file);
        if (records.isEmpty()) {
            throw new EvalDataException(file, 0, "is empty");
        }
        List<String> header = records.getFirst().fields();
        int[] at = new int[COLUMNS.size()];
        for (int c = 0; c < COLUMNS.size(); c++) {
            at[c] = header.indexOf(COLUMNS.get(c));
            if (at[c] < 0) {
                throw new EvalDataException(file, records.getFirst().line(), "the header has no \"" + COLUMNS.get(c)
                        + "\" column (it needs question, A, B, C, D, answer)");
            }
        }
        List<ChoiceDoc> docs = new ArrayList<>();
        for (CsvRecord r : records.subList(1, records.size())) {
            List<String> f = r.fields();
            if (f.size() != header.size()) {
                throw new EvalDataException(file, r.line(), "has " + f.size() + " fields, the header " + header.size());
            }
            String answerText = f.get(at[5]).strip();
            int answer = MultipleChoiceTask.LABELS.indexOf(answerText);
            if (answer < 0) {
                throw new EvalDataException(file, r.line(), "the answer \"" + answerText + "\" is not one of A, B, C, D");
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (int c = 0; c < header.size(); c++) {
                fields.put(header.get(c), f.get(c));
            }
            List<String> options = List.of(f.get(at[1]), f.get(at[2]), f.get(at[3]), f.get(at[4]));
            docs.add(new ChoiceDoc(docs.size(), f.get(at[0]), options, answer, fields));
        }
        if (docs.isEmpty()) {
            throw new EvalDataException(file, 0, "holds no questions");
        }
        return docs;
    }
}
