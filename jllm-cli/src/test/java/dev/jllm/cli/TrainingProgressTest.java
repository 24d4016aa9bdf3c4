package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.train.Trainer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import org.junit.jupiter.api.Test;

/** The training progress: plain log lines without a terminal, one redrawn bar with every figure on one. */
class TrainingProgressTest {
    /** Steps 11..20 of 20: a skipped step 13, a validation loss at step 15. */
    private static void feed(TrainingProgress p) {
        for (int s = 11; s <= 20; s++) {
            p.accept(new Trainer.StepRecord(s, s == 13 ? Double.NaN : 3.0 - s * 0.05, s == 15 ? 2.5 : Double.NaN,
                    1e-3, 0.5, 1234.4, s == 13));
        }
    }

    @Test
    void withoutATerminalLogsLines() {
        StringWriter sink = new StringWriter();
        try (TrainingProgress p = TrainingProgress.create(20, 10, new PrintWriter(sink), null)) {
            feed(p);
        }
        List<String> lines = sink.toString().lines().toList();
        assertEquals(3, lines.size(), sink.toString());
        assertEquals("jllm: step 13 skipped: loss NaN, gradient norm 0.5", lines.get(0));
        assertTrue(lines.get(1).matches("step 15/20  loss 2\\.2500  val 2\\.5000  lr 1\\.00e-03  grad norm 0\\.500"
                + "  1234 tokens/s  ETA \\d+ s"), lines.get(1));
        assertTrue(lines.get(2).matches("step 20/20  loss 2\\.0000  lr 1\\.00e-03  grad norm 0\\.500  1234 tokens/s"
                + "  ETA 0 s"), lines.get(2));
    }

    @Test
    void onATerminalDrawsOneBarWithEveryFigure() {
        List<String> frames = new CopyOnWriteArrayList<>();
        StringWriter sink = new StringWriter();
        try (TrainingProgress p = TrainingProgress.create(20, 10, new PrintWriter(sink),
                new DelegatingProgressBarConsumer(frames::add, 200))) {
            feed(p);
        }
        assertEquals("", sink.toString(), "no plain lines beside the bar");
        String last = frames.get(frames.size() - 1);
        assertTrue(last.startsWith("train 100%"), last);
        for (String part : new String[] {"20/20 steps", "loss 2.0000", "val 2.5000", "lr 1.00e-03", "gnorm 0.500",
            "1234 tok/s"}) {
            assertTrue(last.contains(part), part + " missing from " + last);
        }
        // the bar's own elapsed / ETA pair, as h:mm:ss
        assertTrue(last.matches(".*\\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\).*"), last);
        assertFalse(last.contains("skipped"), last);
    }
}
