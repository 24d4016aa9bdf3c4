package dev.jllm.train;

import dev.jllm.formats.io.AtomicFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A training run in a folder: steps a {@link Trainer} to its last step, appends one line per step to
 * {@code metrics.csv} ({@code step,loss,val_loss,lr,grad_norm,tokens_per_s}), and writes
 * {@code checkpoint.safetensors} every few steps and at the end (atomically, so the last good checkpoint
 * survives a crash), and redraws {@code loss.png} at each validation loss and at the end. {@link #resume}
 * continues a folder's run where its checkpoint left it.
 */
public final class TrainingRun {
    /** The checkpoint's file name in the run folder. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The metrics file's name. */
    public static final String METRICS = "metrics.csv";
    private static final String HEADER = "step,loss,val_loss,lr,grad_norm,tokens_per_s\n";

    private final Trainer trainer;
    private final Path folder;
    private final int checkpointEvery;
    private final int evalEvery;
    private final long steps;

    /**
     * A run of {@code steps} steps writing into {@code folder}.
     *
     * @param checkpointEvery steps between checkpoints (a checkpoint is also written at the end)
     * @param evalEvery steps between validation losses, 0 for none
     */
    public TrainingRun(Trainer trainer, Path folder, long steps, int checkpointEvery, int evalEvery) {
        if (checkpointEvery <= 0) {
            throw new IllegalArgumentException("checkpoint interval must be positive, got " + checkpointEvery);
        }
        this.trainer = trainer;
        this.folder = folder;
        this.steps = steps;
        this.checkpointEvery = checkpointEvery;
        this.evalEvery = evalEvery;
    }

    /** Loads the folder's checkpoint into the trainer and drops metrics lines after its step. */
    public void resume() throws IOException {
        Path file = folder.resolve(CHECKPOINT);
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no checkpoint to resume from");
        }
        Checkpoint c = Checkpoint.read(file);
        trainer.resume(c, file);
        Path metrics = folder.resolve(METRICS);
        if (Files.isRegularFile(metrics)) {
            StringBuilder kept = new StringBuilder();
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                String first = line.split(",", 2)[0];
                if (!first.matches("\\d+") || Long.parseLong(first) <= c.step()) {
                    kept.append(line).append('\n');
                }
            }
            AtomicFile.write(metrics, out -> dev.jllm.formats.io.ChannelWrites.writeFully(out,
                    java.nio.ByteBuffer.wrap(kept.toString().getBytes(StandardCharsets.UTF_8))));
        }
    }

    /** Trains to the last step, reporting each step to {@code listener} once its metrics line is written. */
    public void run(Consumer<Trainer.StepRecord> listener) throws IOException {
        Path metrics = folder.resolve(METRICS);
        if (!Files.exists(metrics)) {
            Files.writeString(metrics, HEADER, StandardCharsets.UTF_8);
        }
        while (trainer.step() < steps) {
            boolean evaluate = evalEvery > 0 && (trainer.step() + 1) % evalEvery == 0;
            Trainer.StepRecord r = trainer.step(evaluate);
            Files.writeString(metrics, String.format(Locale.ROOT, "%d,%.6f,%s,%.8g,%.6f,%.1f%n", r.step(), r.loss(),
                    Double.isNaN(r.valLoss()) ? "" : String.format(Locale.ROOT, "%.6f", r.valLoss()), r.lr(),
                    r.gradNorm(), r.tokensPerSecond()), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            listener.accept(r);
            if (r.step() % checkpointEvery == 0 || r.step() == steps) {
                trainer.checkpoint().write(folder.resolve(CHECKPOINT));
            }
        }
    }
}
