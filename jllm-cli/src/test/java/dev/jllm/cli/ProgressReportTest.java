package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressReportTest {
    @Test
    void withoutATerminalPrintsOneLinePerTenthAndAFinalLine() {
        StringWriter sink = new StringWriter();
        // 4 tensors of 250 elements, each reported in 5 steps of 50
        try (ProgressReport p = ProgressReport.create("quantize", 1000, new PrintWriter(sink), false)) {
            for (int t = 0; t < 4; t++) {
                p.tensor(t, 4, "t" + t, DType.F32, DType.Q8_0);
                for (int done = 50; done <= 250; done += 50) {
                    p.advanced(done, 250);
                }
            }
            p.finish();
        }
        List<String> lines = sink.toString().lines().toList();
        assertEquals(10, lines.size(), sink.toString());
        assertEquals("quantize: 10% (1/4 tensors) t0 F32→Q8_0", lines.get(0));
        assertEquals("quantize: 30% (2/4 tensors) t1 F32→Q8_0", lines.get(2));
        assertEquals("quantize: 90% (4/4 tensors) t3 F32→Q8_0", lines.get(8));
        assertTrue(lines.get(9).matches("quantize: 100% \\(4 tensors\\) in \\d+\\.\\d s"), lines.get(9));
    }

    @Test
    void aFailedJobEndsWithoutTheFinalLine() {
        StringWriter sink = new StringWriter();
        try (ProgressReport p = ProgressReport.create("convert", 0, new PrintWriter(sink), false)) {
            p.tensor(0, 2, "t0", DType.F32, DType.F16);
        }
        assertEquals("", sink.toString());
    }

    @Test
    void unknownTotalCountsTensors() {
        StringWriter sink = new StringWriter();
        try (ProgressReport p = ProgressReport.create("convert", 0, new PrintWriter(sink), false)) {
            for (int t = 0; t < 5; t++) {
                p.tensor(t, 5, "t" + t, DType.BF16, DType.F16);
                p.advanced(10, 10);
            }
            p.finish();
        }
        List<String> lines = sink.toString().lines().toList();
        assertEquals(List.of("convert: 20% (2/5 tensors) t1 BF16→F16", "convert: 40% (3/5 tensors) t2 BF16→F16",
                "convert: 60% (4/5 tensors) t3 BF16→F16", "convert: 80% (5/5 tensors) t4 BF16→F16"),
                lines.subList(0, 4));
        assertTrue(lines.get(4).startsWith("convert: 100% (5 tensors) in "), lines.get(4));
    }
}
