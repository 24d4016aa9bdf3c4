package dev.jllm.cli;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.quantize.GgufQuantizer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long tensor-by-tensor job ({@code quantize}, {@code convert}, {@code init}) on stderr: a redrawn
 * progress bar when stderr is a terminal, else plain lines that logs and pipes keep readably, one each time
 * another tenth of the work is done ({@code quantize: 30% (12/40 tensors) blk.2.ffn_up.weight F32→Q4_K}) and a
 * last one with the elapsed time once the job is {@link #finish() finished}.
 */
final class ProgressReport implements GgufQuantizer.Listener, AutoCloseable {
    private final String task;
    private final ProgressBar bar;
    private final PrintWriter lines;
    private final long total;
    private final long started = System.nanoTime();
    private long base;
    private long current;
    private long tensorTotal;
    private int tensors;
    private int count;
    private String label = "";
    private int printedTenths;
    private boolean finished;

    private ProgressReport(String task, ProgressBar bar, PrintWriter lines, long total) {
        this.task = task;
        this.bar = bar;
        this.lines = lines;
        this.total = total;
    }

    /**
     * A report of {@code total} elements' work (0 when unknown: progress then counts tensors).
     *
     * @param err where plain lines go when stderr is not a terminal (the command's stderr)
     */
    static ProgressReport create(String task, long total, PrintWriter err) {
        return create(task, total, err, stderrIsTerminal());
    }

    /** As {@link #create(String, long, PrintWriter)}, with the terminal question answered by the caller. */
    static ProgressReport create(String task, long total, PrintWriter err, boolean terminal) {
        if (terminal) {
            ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setStyle(ProgressBarStyle.ASCII);
            if (total > 0) {
                b.setInitialMax(Math.max(1, total / 1000)).setUnit(" k weights", 1);
            } else {
                b.setUnit(" tensors", 1);
            }
            ProgressBar bar = b
                    .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true))).build();
            return new ProgressReport(task, bar, null, total);
        }
        return new ProgressReport(task, null, err, total);
    }

    /**
     * Whether the process's stderr is a terminal: {@code JLLM_STDERR_TERMINAL} (1 or 0) when set, for a launcher
     * that filters stderr through a pipe and so knows better; else, on Linux, whether file descriptor 2 is a tty
     * device; elsewhere whether the JVM has an interactive console.
     */
    static boolean stderrIsTerminal() {
        String told = System.getenv("JLLM_STDERR_TERMINAL");
        if (told != null && !told.isBlank()) {
            return told.strip().equals("1");
        }
        Path fd = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd)) {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | SecurityException e) {
            // fall through to the console's answer
        }
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    @Override
    public void tensor(int index, int count, String name, DType from, DType to) {
        base += tensorTotal;
        tensorTotal = 0;
        current = base;
        tensors = index;
        this.count = count;
        label = String.format(Locale.ROOT, "%s %s→%s", name, from, to);
        if (bar != null) {
            if (total <= 0) {
                bar.maxHint(count);
                bar.stepTo(index);
            }
            bar.setExtraMessage(String.format(Locale.ROOT, "[%d/%d] %s", index + 1, count, label));
        } else {
            printIfAnotherTenth();
        }
    }

    @Override
    public void advanced(long done, long totalOfTensor) {
        tensorTotal = totalOfTensor;
        current = base + done;
        if (bar != null) {
            if (total > 0) {
                bar.stepTo(Math.min(current, total) / 1000);
            }
        } else {
            printIfAnotherTenth();
        }
    }

    /** The share done: by elements when the total is known, else by tensors started. */
    private double fraction() {
        if (total > 0) {
            return Math.min(1.0, (double) current / total);
        }
        return count == 0 ? 0 : (double) tensors / count;
    }

    private void printIfAnotherTenth() {
        int tenths = (int) Math.floor(fraction() * 10);
        if (tenths > printedTenths && tenths < 10) {
            printedTenths = tenths;
            lines.printf(Locale.ROOT, "%s: %d%% (%d/%d tensors) %s%n", task, tenths * 10, tensors + 1, count, label);
            lines.flush();
        }
    }

    /** Marks the job done: closing then shows 100% (a failed job closes without it). */
    void finish() {
        finished = true;
    }

    @Override
    public void close() {
        if (bar != null) {
            if (finished) {
                bar.stepTo(bar.getMax());
            }
            bar.close();
            return;
        }
        if (!finished) {
            return;
        }
        lines.printf(Locale.ROOT, "%s: 100%% (%d tensors) in %.1f s%n", task, count,
                (System.nanoTime() - started) / 1e9);
        lines.flush();
    }
}
