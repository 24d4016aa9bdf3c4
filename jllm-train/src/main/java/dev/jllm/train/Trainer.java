package dev.jllm.train;

import dev.jllm.core.autograd.CrossEntropy;
import dev.jllm.core.autograd.Tape;
import dev.jllm.core.autograd.Variable;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.decoder.DecoderParameters;
import dev.jllm.model.decoder.TapeDecoderMath;
import dev.jllm.train.data.BatchIterator;
import dev.jllm.train.data.TokenShards;
import dev.jllm.formats.FormatException;
import dev.jllm.train.optim.AdamW;
import dev.jllm.core.ops.Bf16Rounding;
import dev.jllm.train.optim.GradientClipping;
import dev.jllm.train.optim.LearningRateSchedule;
import dev.jllm.train.optim.Parameter;
import dev.jllm.train.optim.WeightDecayRule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pretraining of a decoder through the same definition inference runs: batches of packed windows,
 * cross-entropy over every position, gradient accumulation, clipping by global norm, AdamW with
 * warmup and cosine decay, validation loss every few steps, and checkpoints that resume exactly (the
 * same seed and thread count give the same losses with or without an interruption).
 *
 * <p>With {@link Precision#BF16} the model's values hold the BF16 roundings of F32 master copies: the passes read
 * the rounded weights, AdamW updates the masters, and each step rounds them into the model again.
 *
 * <p>A step whose loss or gradient norm is not finite is skipped (the optimizer does not move) and
 * reported; {@link #MAX_BAD_STEPS} in a row stop the run.
 */
public final class Trainer {
    /** Consecutive non-finite steps after which training stops. */
    public static final int MAX_BAD_STEPS = 5;

    /**
     * The run's settings.
     *
     * @param steps optimizer steps in all
     * @param batch sequences per micro-batch
     * @param seq tokens per sequence
     * @param accumulation micro-batches per step
     * @param lr peak learning rate
     * @param minLr learning rate at the end of the cosine decay
     * @param warmup warmup steps
     * @param weightDecay AdamW's decoupled weight decay (not on norms, biases, embeddings)
     * @param clip maximum global gradient norm, 0 for none
     * @param evalEvery steps between validation losses, 0 for none
     * @param evalBatches batches averaged for a validation loss
     * @param seed shuffling seed
     * @param precision the weights the passes read: F32, or BF16 roundings of F32 masters
     */
    public record Settings(int steps, int batch, int seq, int accumulation, double lr, double minLr, int warmup,
            double weightDecay, double clip, int evalEvery, int evalBatches, long seed, Precision precision) {
        /** Checks the values, naming the first that is out of range. */
        public Settings {
            if (steps <= 0 || batch <= 0 || seq <= 0 || accumulation <= 0 || warmup < 0 || evalEvery < 0
                    || evalBatches <= 0) {
                throw new IllegalArgumentException("steps, batch, seq, accumulation and eval batches must be "
                        + "positive, warmup and eval interval not negative");
            }
            if (!(lr > 0) || !(minLr >= 0) || minLr > lr || !(weightDecay >= 0) || !(clip >= 0)) {
                throw new IllegalArgumentException("need lr > 0, 0 ≤ min lr ≤ lr, weight decay ≥ 0, clip ≥ 0");
            }
            java.util.Objects.requireNonNull(precision, "precision");
        }

        /** F32 settings. */
        public Settings(int steps, int batch, int seq, int accumulation, double lr, double minLr, int warmup,
                double weightDecay, double clip, int evalEvery, int evalBatches, long seed) {
            this(steps, batch, seq, accumulation, lr, minLr, warmup, weightDecay, clip, evalEvery, evalBatches, seed,
                    Precision.F32);
        }

        /** These settings with another precision. */
        public Settings withPrecision(Precision p) {
            return new Settings(steps, batch, seq, accumulation, lr, minLr, warmup, weightDecay, clip, evalEvery,
                    evalBatches, seed, p);
        }
    }

    /**
     * What one step did.
     *
     * @param step the step's number, from 1
     * @param loss mean training loss over its micro-batches
     * @param valLoss validation loss, or NaN when not measured at this step
     * @param lr the learning rate applied
     * @param gradNorm global gradient norm before clipping
     * @param tokensPerSecond training tokens per second of this step
     * @param skipped whether the step was skipped for a non-finite loss or gradient
     */
    public record StepRecord(long step, double loss, double valLoss, double lr, double gradNorm,
            double tokensPerSecond, boolean skipped) {
    }

    private final ModelConfig config;
    private final DecoderParameters model;
    private final Map<String, Variable> named;
    private final Settings settings;
    private final WorkerPool pool;
    private final BatchIterator train;
    private final TokenShards data;
    private final AdamW optimizer;
    private final LearningRateSchedule schedule;
    private final Tape tape;
    private final int[] inputs;
    private final int[] targets;
    /** F32 master weights by name under BF16 (the model's values are their roundings); null under F32. */
    private final Map<String, float[]> masters;
    private List<Parameter> parameters;
    private long step;
    private int badSteps;

    /** A trainer at step 0 over {@code model}'s parameters (which it updates in place). */
    public Trainer(ModelConfig config, DecoderParameters model, TokenShards data, Settings settings, WorkerPool pool) {
        this.config = config;
        this.model = model;
        this.named = model.named();
        this.settings = settings;
        this.pool = pool;
        this.data = data;
        if (data.vocabSize() > config.vocabSize()) {
            throw new IllegalArgumentException("the data's vocabulary (" + data.vocabSize()
                    + ") is larger than the model's (" + config.vocabSize() + ")");
        }
        if (settings.seq() > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + settings.seq() + " exceeds the model's context "
                    + config.contextLength());
        }
        this.train = new BatchIterator(data.train(), settings.batch(), settings.seq(), settings.seed(), true);
        this.optimizer = new AdamW(AdamW.Settings.DEFAULT.withWeightDecay(settings.weightDecay()), pool);
        this.schedule = LearningRateSchedule.warmupCosine(settings.lr(), settings.minLr(), settings.warmup(),
                settings.steps());
        this.tape = new Tape(pool);
        this.inputs = new int[settings.batch() * settings.seq()];
        this.targets = new int[inputs.length];
        if (settings.precision() == Precision.BF16) {
            masters = new java.util.LinkedHashMap<>();
            named.forEach((k, v) -> masters.put(k, v.value().clone()));
            roundIntoModel();
        } else {
            masters = null;
        }
    }

    /** Under BF16: each parameter's value becomes its master's BF16 rounding (kept as F32). */
    private void roundIntoModel() {
        for (Map.Entry<String, float[]> e : masters.entrySet()) {
            float[] master = e.getValue();
            float[] value = named.get(e.getKey()).value();
            int chunk = 1 << 16;
            pool.parallelForDynamic((master.length + chunk - 1) / chunk, 1, (a, b) -> {
                int from = a * chunk;
                int to = (int) Math.min(master.length, (long) b * chunk);
                Bf16Rounding.roundToFloat(master, from, value, from, to - from);
            });
        }
    }

    /** Steps completed. */
    public long step() {
        return step;
    }

    /** Runs one optimizer step (all its micro-batches) and returns what it did. */
    public StepRecord step(boolean evaluate) {
        long start = System.nanoTime();
        for (Variable v : named.values()) {
            v.zeroGrad();
        }
        double lossSum = 0;
        for (int micro = 0; micro < settings.accumulation(); micro++) {
            train.next(inputs, targets);
            tape.clear();
            Variable logits = new TapeDecoderMath(tape, config, model, inputs, settings.seq(),
                    settings.precision() == Precision.BF16).forward();
            Variable loss = CrossEntropy.loss(tape, logits, targets, -1);
            lossSum += loss.item();
            // each micro-batch's mean loss weighted 1/accumulation: the gradient of the mean over all of them
            float[] seed = {1f / settings.accumulation()};
            tape.backward(loss, seed);
        }
        tape.clear();
        step++;
        double loss = lossSum / settings.accumulation();
        List<Parameter> params = parameters();
        double lr = schedule.lr(step - 1);
        double norm = settings.clip() > 0 ? GradientClipping.clipByGlobalNorm(params, settings.clip(), pool)
                : GradientClipping.globalNorm(params, pool);
        boolean skipped = !Double.isFinite(loss) || !Double.isFinite(norm);
        if (skipped) {
            if (++badSteps >= MAX_BAD_STEPS) {
                throw new IllegalStateException(MAX_BAD_STEPS + " steps in a row had a non-finite loss or gradient "
                        + "(last at step " + step + "); lower the learning rate or check the data");
            }
        } else {
            badSteps = 0;
            optimizer.step(params, lr);
            if (masters != null) {
                roundIntoModel();
            }
        }
        double tps = (double) settings.accumulation() * inputs.length * 1e9 / (System.nanoTime() - start);
        double val = evaluate ? validationLoss() : Double.NaN;
        return new StepRecord(step, loss, val, lr, norm, tps, skipped);
    }

    /** Mean loss over {@code evalBatches} validation batches (the same ones every time), without gradients. */
    public double validationLoss() {
        BatchIterator val = new BatchIterator(data.validation(), settings.batch(), settings.seq(), 0, false);
        double sum = 0;
        int[] in = new int[inputs.length];
        int[] out = new int[inputs.length];
        try (var scope = tape.noGrad()) {
            for (int i = 0; i < settings.evalBatches(); i++) {
                val.next(in, out);
                tape.clear();
                sum += CrossEntropy.loss(tape, new TapeDecoderMath(tape, config, model, in, settings.seq(),
                        settings.precision() == Precision.BF16).forward(),
                        out, -1).item();
            }
        }
        tape.clear();
        return sum / settings.evalBatches();
    }

    /** The state to resume from. */
    public Checkpoint checkpoint() {
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        named.forEach((k, v) -> values.put(k, (masters != null ? masters.get(k) : v.value()).clone()));
        return new Checkpoint(step, values, optimizer.state(), train.state(), settings.precision());
    }

    /**
     * Continues from a checkpoint of the same model and settings: parameters, optimizer state, data
     * position and step.
     *
     * @throws IOException naming the file when the checkpoint does not match the model
     */
    public void resume(Checkpoint c, Path file) throws IOException {
        if (c.precision() != settings.precision()) {
            throw new FormatException(file, -1, "__metadata__.precision", "the run trained in "
                    + c.precision().label() + ", not " + settings.precision().label() + "; resume it with --precision "
                    + c.precision().label());
        }
        c.restoreInto(named, file);
        if (masters != null) {
            named.forEach((k, v) -> System.arraycopy(v.value(), 0, masters.get(k), 0, v.value().length));
            roundIntoModel();
        }
        optimizer.load(c.optimizer(), parametersForLoad());
        train.restore(c.data());
        step = c.step();
    }

    private List<Parameter> parameters() {
        if (parameters == null) {
            parameters = new ArrayList<>();
            WeightDecayRule rule = WeightDecayRule.DEFAULT;
            for (Map.Entry<String, Variable> e : named.entrySet()) {
                Variable v = e.getValue();
                float[] value = masters != null ? masters.get(e.getKey()) : v.value();
                parameters.add(new Parameter(e.getKey(), value, v.grad(), rule.decays(e.getKey(), v.rank())));
            }
        }
        return parameters;
    }

    /** Parameters for loading optimizer state before any gradient exists (the gradient arrays are not read). */
    private List<Parameter> parametersForLoad() {
        if (parameters != null) {
            return parameters;
        }
        List<Parameter> list = new ArrayList<>();
        WeightDecayRule rule = WeightDecayRule.DEFAULT;
        for (Map.Entry<String, Variable> e : named.entrySet()) {
            float[] value = masters != null ? masters.get(e.getKey()) : e.getValue().value();
            list.add(rule.parameter(e.getKey(), value, e.getValue().rank()));
        }
        return list;
    }
}
