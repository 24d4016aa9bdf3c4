package dev.jllm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.autograd.CrossEntropy;
import dev.jllm.core.autograd.Tape;
import dev.jllm.core.autograd.Variable;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.init.Architecture;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training runs the same definition as inference: on the tape, every family's logits for a batch of two
 * sequences equal the inference decoder's for each sequence on its own, and the loss's gradients through
 * the whole model agree with central differences of the loss (float, so a loose tolerance; the op-level
 * checks in jllm-core are exact).
 */
class TrainingForwardTest {
    private static final int[] SEQUENCES = {1, 17, 300, 42, 42, 511, 7, 260, 5, 99, 3, 128, 64, 64, 2, 1};
    private static final int SEQ_LEN = 8;

    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(Architecture.LLAMA, "plain"), Arguments.of(Architecture.QWEN2, "plain"),
                Arguments.of(Architecture.QWEN3, "plain"), Arguments.of(Architecture.GPT2, "plain"),
                Arguments.of(Architecture.LLAMA, "sliding-window"), Arguments.of(Architecture.LLAMA, "rope-freqs"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void tapeLogitsEqualInference(Architecture arch, String variant) throws Exception {
        Path file = DecoderAgainstReferenceTest.randomModel(dir, arch, variant);
        try (LoadedModel model = LoadedModel.open(file); WorkerPool pool = new WorkerPool(2)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            int vocab = model.config().vocabSize();
            Tape tape = new Tape(pool);
            Variable logits = new TapeDecoderMath(tape, model.config(), DecoderParameters.of(model.weights()),
                    SEQUENCES, SEQ_LEN).forward();
            for (int s = 0; s < SEQUENCES.length / SEQ_LEN; s++) {
                float[] want = new float[SEQ_LEN * vocab];
                try (KvCache cache = decoder.newCache(DType.F32, 64)) {
                    decoder.forward(SEQUENCES, s * SEQ_LEN, SEQ_LEN, 0, cache, want, true);
                }
                double max = 0;
                double err = 0;
                for (int i = 0; i < want.length; i++) {
                    max = Math.max(max, Math.abs(want[i]));
                    err = Math.max(err, Math.abs(want[i] - logits.value()[s * SEQ_LEN * vocab + i]));
                }
                assertTrue(err <= 1e-4 * max, arch + " " + variant + " sequence " + s + ": " + err + " of " + max);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void gradientsThroughTheWholeModelMatchFiniteDifferences(Architecture arch, String variant) throws Exception {
        Path file = DecoderAgainstReferenceTest.randomModel(dir, arch, variant);
        int[] targets = new int[SEQUENCES.length];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = (SEQUENCES[i] * 7 + 3) % 512;
        }
        try (LoadedModel model = LoadedModel.open(file); WorkerPool pool = new WorkerPool(2)) {
            DecoderParameters params = DecoderParameters.of(model.weights());
            Tape tape = new Tape(pool);
            Variable loss = CrossEntropy.loss(tape,
                    new TapeDecoderMath(tape, model.config(), params, SEQUENCES, SEQ_LEN).forward(), targets, -1);
            tape.backward(loss);
            int checked = 0;
            for (Map.Entry<String, Variable> e : params.named().entrySet()) {
                Variable v = e.getValue();
                float[] g = v.grad();
                int at = 0;
                for (int i = 1; i < g.length; i++) {
                    if (Math.abs(g[i]) > Math.abs(g[at])) {
                        at = i;
                    }
                }
                float saved = v.value()[at];
                float eps = 1e-2f;
                v.value()[at] = saved + eps;
                double up = loss(pool, model, params, targets);
                v.value()[at] = saved - eps;
                double down = loss(pool, model, params, targets);
                v.value()[at] = saved;
                double fd = (up - down) / (2 * eps);
                assertTrue(Math.abs(fd - g[at]) <= 0.05 * Math.abs(fd) + 2e-4, e.getKey() + "[" + at + "]: analytic "
                        + g[at] + ", finite difference " + fd);
                checked++;
            }
            assertTrue(checked >= 10, "checked " + checked + " parameters");
        }
    }

    private static double loss(WorkerPool pool, LoadedModel model, DecoderParameters params, int[] targets) {
        Tape tape = new Tape(pool);
        try (var scope = tape.noGrad()) {
            return CrossEntropy.loss(tape, new TapeDecoderMath(tape, model.config(), params, SEQUENCES, SEQ_LEN)
                    .forward(), targets, -1).item();
        }
    }
}
