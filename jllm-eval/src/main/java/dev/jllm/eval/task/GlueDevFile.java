package dev.jllm.eval.task;

import dev.jllm.eval.data.CsvFile;
import dev.jllm.eval.data.CsvRecord;
import dev.jllm.eval.data.EvalDataException;
import dev.jllm.eval.task.GlueTask.GlueDoc;
import dev.jllm.eval.task.GlueTask.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GLUE dev split from the GLUE download's TSV file (tabs, no quoting) the way the HF {@code glue} dataset
 * loads it, which is what the harness scores:
 *
 * <pre>
 *   CoLA/dev.tsv              no header: source, label (0/1), original mark, sentence
 *   SST-2/dev.tsv             sentence, label (0 negative, 1 positive)
 *   MRPC/dev.tsv              Quality (0/1), #1 ID, #2 ID, #1 String, #2 String
 *   QQP/dev.tsv               id, qid1, qid2, question1, question2, is_duplicate (0/1)
 *   STS-B/dev.tsv             index, genre, …, sentence1, sentence2, score (0 to 5)
 *   MNLI/dev_matched.tsv      index, …, sentence1 (premise), sentence2 (hypothesis), label1 … label5, gold_label
 *   MNLI/dev_mismatched.tsv     (gold_label: entailment, neutral, contradiction)
 *   QNLI/dev.tsv              index, question, sentence, label (entailment, not_entailment)
 *   RTE/dev.tsv               index, sentence1, sentence2, label (entailment, not_entailment)
 *   WNLI/dev.tsv              index, sentence1, sentence2, label (0 not_entailment, 1 entailment)
 * </pre>
 *
 * <p>Columns are found by the header's names, so their order may differ. A label is a class name, numbered in the
 * dataset's class order, or the class's number itself. Every row must have as many fields as the header.
 */
final class GlueDevFile {
    private GlueDevFile() {
    }

    /**
     * The examples of {@code kind}'s dev file.
     *
     * @throws EvalDataException naming the file and line of a missing column, a row of the wrong width or a label
     *     outside the task's classes
     */
    static List<GlueDoc> read(Kind kind, Path file) throws IOException {
        List<CsvRecord> records = CsvFile.readTsv(file);
        List<GlueDoc> docs = new ArrayList<>();
        if (kind == Kind.COLA) {
            // CoLA's dev file alone has no header
            for (CsvRecord r : records) {
                List<String> f = r.fields();
                if (f.size() != 4) {
                    throw new EvalDataException(file, r.line(), "has " + f.size() + " columns; CoLA rows are source, "
                            + "label, mark, sentence");
                }
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("sentence", f.get(3));
                fields.put("label", f.get(1));
                docs.add(new GlueDoc(docs.size(), kind.prompt(fields), label(kind, file, r, f.get(1)), Double.NaN,
                        fields));
            }
        } else {
            if (records.isEmpty()) {
                throw new EvalDataException(file, 0, "is empty");
            }
            CsvRecord head = records.getFirst();
            List<String> header = head.fields();
            int[] at = new int[kind.columns.size()];
            for (int c = 0; c < at.length; c++) {
                at[c] = header.indexOf(kind.columns.get(c));
                if (at[c] < 0) {
                    throw new EvalDataException(file, head.line(), "the header has no \"" + kind.columns.get(c)
                            + "\" column (" + kind.task + " reads " + String.join(", ", kind.columns) + ")");
                }
            }
            for (CsvRecord r : records.subList(1, records.size())) {
                List<String> f = r.fields();
                if (f.size() != header.size()) {
                    throw new EvalDataException(file, r.line(), "has " + f.size() + " columns, the header "
                            + header.size());
                }
                Map<String, String> fields = new LinkedHashMap<>();
                for (int c = 0; c < at.length; c++) {
                    fields.put(kind.features.get(c), f.get(at[c]));
                }
                String gold = fields.get("label");
                docs.add(kind == Kind.STSB
                        ? new GlueDoc(docs.size(), kind.prompt(fields), -1, score(file, r, gold), fields)
                        : new GlueDoc(docs.size(), kind.prompt(fields), label(kind, file, r, gold), Double.NaN,
                                fields));
            }
        }
        if (docs.isEmpty()) {
            throw new EvalDataException(file, 0, "holds no examples");
        }
        return docs;
    }

    /** The class index of a label written as a class name or as the index itself. */
    private static int label(Kind kind, Path file, CsvRecord r, String s) throws EvalDataException {
        String v = s.strip();
        int named = kind.classes.indexOf(v);
        if (named >= 0) {
            return named;
        }
        if (v.length() == 1 && v.charAt(0) >= '0' && v.charAt(0) < '0' + kind.classes.size()) {
            return v.charAt(0) - '0';
        }
        throw new EvalDataException(file, r.line(), "the label \"" + s + "\" is not one of 0.."
                + (kind.classes.size() - 1) + " or " + String.join(", ", kind.classes));
    }

    private static double score(Path file, CsvRecord r, String s) throws EvalDataException {
        try {
            double v = Double.parseDouble(s.strip());
            if (v >= 0 && v <= 5) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new EvalDataException(file, r.line(), "the score \"" + s + "\" is not a number from 0 to 5");
    }
}
