package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.DecoderParameters;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.train.Checkpoint;
import dev.jllm.train.Precision;
import dev.jllm.train.Trainer;
import dev.jllm.cli.plot.LossCurve;
import dev.jllm.train.TrainingRun;
import dev.jllm.train.data.ShardBuilder;
import dev.jllm.train.data.ShardOrigin;
import dev.jllm.train.data.TokenShards;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm train}: pretrains a decoder from a starting model (e.g. one {@code jllm init} wrote with the
 * tokenizer of the data) on token shards ({@code jllm data}) or on text files it encodes itself, in a run folder
 * that holds the starting model, the encoded shards, {@code metrics.csv} and the checkpoint; {@code --resume}
 * continues it exactly.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Pretrain a decoder on token shards or text files; writes metrics.csv, loss.png and checkpoints "
                + "into --out, and continues exactly with --resume.")
final class TrainCommand implements Callable<Integer> {
    /** The starting model's copy in the run folder (its metadata and tokenizer are what export writes). */
    static final String MODEL = "model.gguf";
    /** The folder of the shards a run encodes from text --data. */
    static final String DATA = "data";
    /** The record of what those shards were made from, inside {@link #DATA}. */
    static final String ORIGIN = "origin.txt";
    /** The end-of-text token put after each document of text --data (as 'jllm data' by default). */
    private static final String END_OF_TEXT = "<|endoftext|>";

    @Spec
    CommandSpec spec;

    @Option(names = "--init", paramLabel = "MODEL.gguf",
            description = "The model to start from, e.g. made by 'jllm init --vocab-from tokenizer.json' "
                    + "(not needed with --resume).")
    Path init;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "Start from a random model of this architecture (as 'jllm init'), instead of --init.")
    String arch;

    @Option(names = "--preset", paramLabel = "NAME", description = "With --arch or alone: the shape, as 'jllm init --preset'.")
    String preset;

    @Option(names = "--dims", paramLabel = "d,l,h,kv,ff", description = "With --arch: the shape, as 'jllm init --dims'.")
    String dims;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "With --arch/--preset: the tokenizer the data was encoded with (e.g. tokenizer.json).")
    Path tokenizer;

    @Option(names = "--init-seed", defaultValue = "1", paramLabel = "S",
            description = "With --arch/--preset: the random initialisation's seed (default: ${DEFAULT-VALUE}).")
    long initSeed;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "DIR|FILE",
            description = "A folder of token shards made by 'jllm data', or UTF-8 text files: these are encoded "
                    + "with --tokenizer (else the starting model's tokenizer) into OUT/data, split as 'jllm data' "
                    + "does, and checked against their recorded SHA-256 on --resume.")
    List<Path> data;

    @Option(names = "--val-fraction", defaultValue = "0.05", paramLabel = "F",
            description = "With text --data: the fraction for validation, as 'jllm data' (default: ${DEFAULT-VALUE}).")
    double validationFraction;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The run folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    boolean resume;

    @Option(names = "--steps", required = true, paramLabel = "N", description = "Optimizer steps in all.")
    int steps;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "Sequences per micro-batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", defaultValue = "128", paramLabel = "T", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--accumulate", defaultValue = "1", paramLabel = "N", description = "Micro-batches per step (default: ${DEFAULT-VALUE}).")
    int accumulate;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--min-lr", defaultValue = "1e-4", paramLabel = "LR", description = "Final learning rate of the cosine decay (default: ${DEFAULT-VALUE}).")
    double minLr;

    @Option(names = "--warmup", paramLabel = "N", description = "Warmup steps (default: a tenth of the steps, at most 100).")
    Integer warmup;

    @Option(names = "--weight-decay", defaultValue = "0.1", paramLabel = "WD", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip", defaultValue = "1.0", paramLabel = "NORM", description = "Global gradient norm limit, 0 for none (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--eval-every", defaultValue = "100", paramLabel = "N", description = "Steps between validation losses, 0 for none (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--eval-batches", defaultValue = "8", paramLabel = "N", description = "Validation batches averaged (default: ${DEFAULT-VALUE}).")
    int evalBatches;

    @Option(names = "--checkpoint-every", defaultValue = "100", paramLabel = "N", description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Data shuffling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--precision", paramLabel = "f32|bf16",
            description = "Weights the passes read: f32, or bf16 roundings of F32 master weights that AdamW updates "
                    + "(default: f32; with --resume, the run's).")
    String precision;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: the number of processors).")
    Integer threads;

    /** Writes a random starting model with 'jllm init' itself, so both make the same file. */
    private void initialise(Path model, PrintWriter err) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("--tokenizer is needed with --arch/--preset/--dims: the model's vocabulary "
                    + "must be the data's");
        }
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("init", "--vocab-from",
                tokenizer.toString(), "--seed", Long.toString(initSeed), "-o", model.toString()));
        if (arch != null) {
            args.addAll(java.util.List.of("--arch", arch));
        }
        if (preset != null) {
            args.addAll(java.util.List.of("--preset", preset));
        }
        if (dims != null) {
            args.addAll(java.util.List.of("--dims", dims));
        }
        java.io.StringWriter initErr = new java.io.StringWriter();
        int code = Main.execute(args.toArray(String[]::new), new PrintWriter(new java.io.StringWriter()),
                new PrintWriter(initErr));
        if (code != 0) {
            throw new IllegalArgumentException(initErr.toString().strip().replaceFirst("^jllm: ", ""));
        }
        err.println("jllm: initialised " + model);
    }

    /**
     * The shard folder to train on: --data itself when it is one, else OUT/data, encoded from the text files on a
     * fresh run and, on --resume, reused once the files are found to be the ones it was made from.
     */
    private Path shardFolder(Path model, PrintWriter err) throws IOException {
        for (Path p : data) {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            }
        }
        if (data.size() == 1 && Files.isDirectory(data.get(0))) {
            return data.get(0);
        }
        for (Path p : data) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--data takes one folder of token shards or text files, not both: "
                        + p + " is a folder");
            }
        }
        Path folder = out.resolve(DATA);
        Path originFile = folder.resolve(ORIGIN);
        Path tokenizerFile = tokenizer != null ? tokenizer : model;
        if (resume) {
            if (!Files.isRegularFile(originFile)) {
                throw new IllegalArgumentException(out + " was not trained on text files (it has no " + originFile
                        + "); give the shard folder it was trained on");
            }
            ShardOrigin.read(originFile).requireSame(ShardOrigin.of(data, tokenizerFile, validationFraction, 0),
                    tokenizer != null);
            err.println("jllm: reusing the shards in " + folder + " (the text files are unchanged)");
            return folder;
        }
        ShardOrigin origin = ShardOrigin.of(data, tokenizerFile, validationFraction, 0);
        Tokenizer tok = TokenizeCommand.load(tokenizerFile);
        int eot = DataCommand.endOfTextId(tok, END_OF_TEXT, tokenizerFile);
        Files.deleteIfExists(originFile);
        ShardBuilder.Summary s = new ShardBuilder(tok, eot, tok.token(eot)).build(data, validationFraction, 0, folder);
        origin.write(originFile);
        err.printf(Locale.ROOT, "jllm: encoded %d document%s into %s: %,d training and %,d validation tokens%n",
                s.documents(), s.documents() == 1 ? "" : "s", folder, s.trainTokens(), s.validationTokens());
        return folder;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Path model = out.resolve(MODEL);
        if (resume) {
            if (!Files.isRegularFile(model)) {
                throw new NoSuchFileException(model.toString(), null, "--resume needs a run folder made by jllm train");
            }
        } else {
            boolean fresh = arch != null || preset != null || dims != null;
            if ((init == null) == !fresh) {
                throw new IllegalArgumentException("start a run from --init MODEL.gguf or from --arch/--preset/--dims "
                        + "with --tokenizer (one of them), or continue one with --resume");
            }
            if (Files.exists(out.resolve(TrainingRun.CHECKPOINT))) {
                throw new IllegalArgumentException(out + " already holds a run; use --resume or another --out");
            }
            Files.createDirectories(out);
            if (init != null) {
                Files.copy(init, model, StandardCopyOption.REPLACE_EXISTING);
            } else {
                initialise(model, err);
            }
        }
        int warmupSteps = warmup != null ? warmup : Math.min(100, steps / 10);
        Precision p = precision != null ? Precision.parse(precision)
                : resume && Files.isRegularFile(out.resolve(TrainingRun.CHECKPOINT))
                        ? Checkpoint.precisionOf(out.resolve(TrainingRun.CHECKPOINT)) : Precision.F32;
        Trainer.Settings settings = new Trainer.Settings(steps, batch, seq, accumulate, lr, minLr, warmupSteps,
                weightDecay, clip, evalEvery, evalBatches, seed, p);
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        try (LoadedModel loaded = LoadedModel.open(model); WorkerPool pool = new WorkerPool(n);
                TokenShards shards = TokenShards.open(shardFolder(model, err))) {
            Trainer trainer = new Trainer(loaded.config(), DecoderParameters.of(loaded.weights()), shards, settings, pool);
            TrainingRun run = new TrainingRun(trainer, out, steps, checkpointEvery, evalEvery);
            if (resume) {
                run.resume();
                err.printf(Locale.ROOT, "jllm: resuming at step %d of %d (%s)%n", trainer.step(), steps, p.label());
            }
            String[] curveProblem = {null};
            try (TrainingProgress progress = TrainingProgress.create(steps, trainer.step(), err)) {
                run.run(r -> {
                    progress.accept(r);
                    // redrawn at each validation and at the end; a picture that cannot be drawn (say, a JVM
                    // without fonts) must not stop the training
                    if (curveProblem[0] == null && (!Double.isNaN(r.valLoss()) || r.step() == steps)) {
                        try {
                            LossCurve.write(out.resolve(TrainingRun.METRICS), out.resolve(LossCurve.FILE));
                        } catch (IOException | RuntimeException e) {
                            curveProblem[0] = String.valueOf(e.getMessage());
                        }
                    }
                });
            }
            if (curveProblem[0] != null) {
                err.println("jllm: warning: no " + LossCurve.FILE + ": " + curveProblem[0]);
            }
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "trained %s to step %d; checkpoint %s, metrics %s, loss curve %s%n",
                out, steps, out.resolve(TrainingRun.CHECKPOINT), out.resolve(TrainingRun.METRICS),
                out.resolve(LossCurve.FILE));
        return 0;
    }
}
