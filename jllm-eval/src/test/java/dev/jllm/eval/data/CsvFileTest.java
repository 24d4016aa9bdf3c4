package dev.jllm.eval.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jllm.eval.task.CEval;
import dev.jllm.eval.task.Mmlu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CSV reader against records written out by hand (RFC 4180 quoting, CRLF, newlines in quotes, BOM), and the
 * benchmark readers under fuzzing: random text made of the characters that matter to CSV either reads or fails with
 * {@link EvalDataException}, never another exception.
 */
class CsvFileTest {
    @TempDir
    Path dir;

    @Test
    void readsQuotingAsPythonsCsvModuleWritesIt() throws Exception {
        String text = "\uFEFFid,question,\"A, with comma\"\r\n1,\"two\nlines\",\"say \"\"hi\"\"\"\n\n2,,\"\"\n3";
        List<CsvRecord> r = CsvFile.parse(Path.of("x.csv"), text);
        assertEquals(4, r.size());
        assertEquals(List.of("id", "question", "A, with comma"), r.get(0).fields());
        assertEquals(List.of("1", "two\nlines", "say \"hi\""), r.get(1).fields());
        assertEquals(List.of("2", "", ""), r.get(2).fields());
        assertEquals(List.of("3"), r.get(3).fields());
        assertEquals(List.of(1L, 2L, 5L, 6L), r.stream().map(CsvRecord::line).toList());
    }

    @Test
    void benchmarkReadersFailOnlyWithTheirOwnException() throws Exception {
        char[] alphabet = {',', '"', '\n', '\r', 'a', 'A', 'B', 'C', 'D', ' ', '\t', '\u00e9', '0', '1'};
        SplittableRandom rng = new SplittableRandom(11);
        Path file = dir.resolve("fuzz.csv");
        for (int i = 0; i < 1500; i++) {
            StringBuilder b = new StringBuilder();
            if (i % 3 == 0) {
                b.append(i % 2 == 0 ? "question,A,B,C,D,answer\n" : "id,question,A,B,C,D,answer\n");
            }
            int n = rng.nextInt(60);
            for (int k = 0; k < n; k++) {
                b.append(alphabet[rng.nextInt(alphabet.length)]);
            }
            Files.writeString(file, b);
            for (int reader = 0; reader < 3; reader++) {
                try {
                    switch (reader) {
                        case 0 -> Mmlu.read(file);
                        case 1 -> CEval.read(file);
                        default -> CsvFile.readTsv(file);
                    }
                } catch (EvalDataException expected) {
                    // the one exception a bad file may raise
                } catch (RuntimeException e) {
                    fail("reader " + reader + " threw " + e + " on " + b.toString().replace("\n", "\\n"));
                }
            }
        }
    }
}
