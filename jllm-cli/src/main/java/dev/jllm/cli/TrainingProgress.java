package dev.jllm.cli;

import dev.jllm.train.Trainer;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of {@code jllm train} on stderr: on a terminal, a redrawn bar over the steps with the last step's loss,
 * the last validation loss, learning rate, gradient norm and tokens/s beside it (the bar itself shows the ETA);
 * otherwise plain lines for logs, one every ten steps, at each validation loss and at the last step
 * ({@code step 20/30  loss 4.1234  val 4.2000  lr 1.00e-03  grad norm 0.512  1234 tokens/s  ETA 12 s}), and one for
 * each skipped step.
 */
final class TrainingProgress implements Consumer<Trainer.StepRecord>, AutoCloseable {
    private final long steps;
    private final long first;
    private final ProgressBar bar;
    private final PrintWriter lines;
    private final long started = System.nanoTime();
    private double lastVal = Double.NaN;

    private TrainingProgress(long steps, long first, ProgressBar bar, PrintWriter lines) {
        this.steps = steps;
        this.first = first;
        this.bar = bar;
        this.lines = lines;
    }

    /**
     * Progress of a run at step {@code first} going to step {@code steps}: a bar when stderr is a terminal, else
     * lines on {@code err}.
     */
    static TrainingProgress create(long steps, long first, PrintWriter err) {
        return ProgressReport.stderrIsTerminal()
                ? create(steps, first, err, new ConsoleProgressBarConsumer(new PrintStream(System.err, true)))
                : create(steps, first, err, null);
    }

    /** As {@link #create(long, long, PrintWriter)}, drawing the bar into {@code terminal}, or lines when it is null. */
    static TrainingProgress create(long steps, long first, PrintWriter err, ProgressBarConsumer terminal) {
        if (terminal == null) {
            return new TrainingProgress(steps, first, null, err);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setStyle(ProgressBarStyle.ASCII)
                .setInitialMax(steps).setUnit(" steps", 1).setUpdateIntervalMillis(250)
                // the ETA counts from the resumed step, not from step 0
                .startsFrom(first, Duration.ZERO).setConsumer(terminal).build();
        return new TrainingProgress(steps, first, bar, null);
    }

    @Override
    public void accept(Trainer.StepRecord r) {
        if (!Double.isNaN(r.valLoss())) {
            lastVal = r.valLoss();
        }
        if (bar != null) {
            bar.stepTo(r.step());
            bar.setExtraMessage(r.skipped()
                    ? String.format(Locale.ROOT, "step %d skipped: loss %s, grad norm %s", r.step(), r.loss(),
                            r.gradNorm())
                    : String.format(Locale.ROOT, "loss %.4f%s lr %.2e gnorm %.3f %.0f tok/s", r.loss(),
                            Double.isNaN(lastVal) ? "" : String.format(Locale.ROOT, " val %.4f", lastVal), r.lr(),
                            r.gradNorm(), r.tokensPerSecond()));
            return;
        }
        if (r.skipped()) {
            lines.printf(Locale.ROOT, "jllm: step %d skipped: loss %s, gradient norm %s%n", r.step(), r.loss(),
                    r.gradNorm());
        }
        if (r.step() == steps || !Double.isNaN(r.valLoss()) || r.step() % 10 == 0) {
            double elapsed = (System.nanoTime() - started) / 1e9;
            double eta = elapsed / (r.step() - first) * (steps - r.step());
            lines.printf(Locale.ROOT, "step %d/%d  loss %.4f%s  lr %.2e  grad norm %.3f  %.0f tokens/s  ETA %.0f s%n",
                    r.step(), steps, r.loss(), Double.isNaN(r.valLoss()) ? ""
                            : String.format(Locale.ROOT, "  val %.4f", r.valLoss()), r.lr(), r.gradNorm(),
                    r.tokensPerSecond(), eta);
        }
        lines.flush();
    }

    /** Ends the bar (drawn one last time); plain lines need no ending. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
