package dev.jllm.eval.task;

import static org.junit.jupiter.api.Assertions.fail;

import dev.jllm.eval.data.EvalDataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GLUE and GPQA readers under fuzzing: random text made of the characters that matter to their formats, often
 * behind a valid header, either reads or fails with {@link EvalDataException}, never another exception.
 */
class DataReadersFuzzTest {
    @TempDir
    Path dir;

    private static String noise(SplittableRandom rng, char[] alphabet, int most) {
        StringBuilder b = new StringBuilder();
        int n = rng.nextInt(most);
        for (int k = 0; k < n; k++) {
            b.append(alphabet[rng.nextInt(alphabet.length)]);
        }
        return b.toString();
    }

    @Test
    void glueDevFilesFailOnlyWithTheirOwnException() throws Exception {
        char[] alphabet = {'\t', '\n', '\r', '"', 'a', '0', '1', '2', '-', '.', ' ', '\u00e9', 'e', 'n'};
        String[] headers = {"sentence\tlabel\n", "question1\tquestion2\tis_duplicate\n",
            "sentence1\tsentence2\tgold_label\n", "question\tsentence\tlabel\n", "sentence1\tsentence2\tlabel\n",
            "Quality\t#1 String\t#2 String\n", "sentence1\tsentence2\tscore\n"};
        SplittableRandom rng = new SplittableRandom(17);
        Path file = dir.resolve("dev.tsv");
        for (int i = 0; i < 600; i++) {
            String text = (i % 2 == 0 ? headers[rng.nextInt(headers.length)] : "") + noise(rng, alphabet, 80);
            Files.writeString(file, text);
            for (GlueTask.Kind kind : GlueTask.Kind.values()) {
                try {
                    GlueDevFile.read(kind, file);
                } catch (EvalDataException expected) {
                    // the one exception a bad file may raise
                } catch (RuntimeException e) {
                    fail(kind + " threw " + e + " on " + text.replace("\n", "\\n").replace("\t", "\\t"));
                }
            }
        }
    }

    @Test
    void gpqaFilesFailOnlyWithTheirOwnException() throws Exception {
        char[] alphabet = {',', '"', '\n', '\r', 'a', 'Q', '[', ']', ' ', '\u00e9', '0'};
        String header = String.join(",", Gpqa.COLUMNS) + "\n";
        SplittableRandom rng = new SplittableRandom(19);
        Path file = dir.resolve("gpqa_main.csv");
        for (int i = 0; i < 800; i++) {
            String text = (i % 2 == 0 ? header : "") + noise(rng, alphabet, 80);
            Files.writeString(file, text);
            try {
                for (GpqaDoc doc : Gpqa.process(Gpqa.read(file), Gpqa.Variant.ZEROSHOT, new PythonRandom(0))) {
                    doc.hashCode();
                }
            } catch (EvalDataException expected) {
                // the one exception a bad file may raise
            } catch (RuntimeException e) {
                fail("threw " + e + " on " + text.replace("\n", "\\n"));
            }
        }
    }
}
