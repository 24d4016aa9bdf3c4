package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.decoder.DecoderParameters;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.train.data.TokenShard;
import dev.jllm.core.ops.Bf16Rounding;
import dev.jllm.train.data.TokenShards;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training through the shared decoder definition: the loss falls, and a resumed run repeats the uninterrupted one. */
class TrainerTest {
    @TempDir
    static Path dir;
    static Path modelFile;
    static Path data;

    @BeforeAll
    static void setUp() throws Exception {
        modelFile = dir.resolve("tiny.gguf");
        ModelDims tiny = ModelPreset.tiny(Architecture.LLAMA);
        RandomModelWriter.write(Architecture.LLAMA, new ModelDims(64, 2, 4, 2, 128, tiny.vocab(), 16, 64,
                tiny.ropeTheta(), tiny.normEps(), false), "t", PlaceholderVocabulary.metadata(512), 3,
                LlamaFileType.ALL_F32, modelFile, null);
        data = Files.createDirectory(dir.resolve("data"));
        // a learnable stream: each token follows from the one before
        int[] tokens = new int[20_000];
        for (int i = 1; i < tokens.length; i++) {
            tokens[i] = (tokens[i - 1] * 5 + 7) % 97 + 3;
        }
        TokenShard.write(data.resolve(TokenShards.TRAIN), tokens, tokens.length, 512, 2);
        TokenShard.write(data.resolve(TokenShards.VALIDATION), tokens, 2_000, 512, 2);
    }

    private static Trainer.Settings settings(int steps) {
        return new Trainer.Settings(steps, 4, 16, 2, 3e-3, 3e-4, 2, 0.01, 1.0, 0, 2, 11);
    }

    private static double[] losses(Trainer t, int steps) {
        double[] out = new double[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = t.step(false).loss();
        }
        return out;
    }

    @Test
    void lossFalls() throws Exception {
        try (LoadedModel m = LoadedModel.open(modelFile); WorkerPool pool = new WorkerPool(2);
                TokenShards shards = TokenShards.open(data)) {
            Trainer t = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(30), pool);
            double before = t.validationLoss();
            losses(t, 30);
            double after = t.validationLoss();
            assertTrue(after < before - 1.0, "validation loss " + before + " -> " + after);
        }
    }

    @Test
    void resumedRunRepeatsTheUninterruptedOne() throws Exception {
        try (LoadedModel m = LoadedModel.open(modelFile); WorkerPool pool = new WorkerPool(2);
                TokenShards shards = TokenShards.open(data)) {
            double[] straight = losses(new Trainer(m.config(), DecoderParameters.of(m.weights()), shards,
                    settings(6), pool), 6);
            Trainer first = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(6), pool);
            double[] head = losses(first, 3);
            Path file = dir.resolve("ckpt.safetensors");
            first.checkpoint().write(file);
            Trainer second = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(6), pool);
            second.resume(Checkpoint.read(file), file);
            double[] tail = losses(second, 3);
            double[] resumed = {head[0], head[1], head[2], tail[0], tail[1], tail[2]};
            assertArrayEquals(straight, resumed, 0.0, "losses after a resume must equal the uninterrupted run's");
        }
    }

    @Test
    void bf16PassesReadRoundedMastersAndResumeExactly() throws Exception {
        try (LoadedModel m = LoadedModel.open(modelFile); WorkerPool pool = new WorkerPool(2);
                TokenShards shards = TokenShards.open(data)) {
            Trainer.Settings bf16 = settings(6).withPrecision(Precision.BF16);
            DecoderParameters params = DecoderParameters.of(m.weights());
            Trainer t = new Trainer(m.config(), params, shards, bf16, pool);
            // the first loss is near the F32 loss of the model rounded to BF16 beforehand (scalar rounding), but
            // not equal: the activations are rounded to BF16 too
            DecoderParameters rounded = DecoderParameters.of(m.weights());
            for (var v : rounded.named().values()) {
                float[] x = v.value();
                for (int i = 0; i < x.length; i++) {
                    x[i] = Bf16Rounding.widen(Bf16Rounding.round(x[i]));
                }
            }
            double f32OnRounded = new Trainer(m.config(), rounded, shards, settings(6), pool).step(false).loss();
            double[] straight = losses(t, 6);
            assertEquals(f32OnRounded, straight[0], 1e-3 * f32OnRounded, "the first BF16 loss reads the rounded "
                    + "initial weights");
            assertTrue(f32OnRounded != straight[0], "BF16 activations change the loss");
            // after updates, every value the passes read is its master's rounding, and the masters are finer
            Checkpoint c = t.checkpoint();
            assertEquals(Precision.BF16, c.precision());
            boolean finer = false;
            for (var e : params.named().entrySet()) {
                float[] master = c.parameters().get(e.getKey());
                float[] value = e.getValue().value();
                for (int i = 0; i < master.length; i++) {
                    assertEquals(Bf16Rounding.widen(Bf16Rounding.round(master[i])), value[i], 0f, e.getKey());
                    finer |= master[i] != value[i];
                }
            }
            assertTrue(finer, "the masters keep bits BF16 drops");
            double[] f32 = losses(new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(6),
                    pool), 6);
            assertTrue(straight[5] != f32[5] && Math.abs(straight[5] - f32[5]) < 0.1,
                    "BF16 " + straight[5] + " against F32 " + f32[5]);

            Trainer first = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, bf16, pool);
            double[] head = losses(first, 3);
            Path file = dir.resolve("bf16.safetensors");
            first.checkpoint().write(file);
            assertEquals(Precision.BF16, Checkpoint.precisionOf(file));
            Trainer second = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, bf16, pool);
            second.resume(Checkpoint.read(file), file);
            double[] tail = losses(second, 3);
            assertArrayEquals(straight, new double[] {head[0], head[1], head[2], tail[0], tail[1], tail[2]}, 0.0,
                    "a resumed BF16 run repeats the uninterrupted one");

            Trainer asF32 = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(6), pool);
            FormatException e = assertThrows(FormatException.class, () -> asF32.resume(Checkpoint.read(file), file));
            assertTrue(e.getMessage().contains("bf16"), e.getMessage());
        }
    }

    @Test
    void nonFiniteStepsAreSkippedThenStopTheRun() throws Exception {
        try (LoadedModel m = LoadedModel.open(modelFile); WorkerPool pool = new WorkerPool(2);
                TokenShards shards = TokenShards.open(data)) {
            DecoderParameters params = DecoderParameters.of(m.weights());
            Trainer t = new Trainer(m.config(), params, shards, settings(20), pool);
            float[] norm = params.outputNorm().value();
            float[] before = params.layers().get(0).wq().value().clone();
            norm[0] = Float.NaN;
            for (int i = 0; i < Trainer.MAX_BAD_STEPS - 1; i++) {
                assertTrue(t.step(false).skipped());
            }
            assertArrayEquals(before, params.layers().get(0).wq().value(), "a skipped step changes nothing");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.step(false));
            assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
        }
    }

    @Test
    void damagedOrMismatchedCheckpointsAreRefused() throws Exception {
        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "not a checkpoint at all");
        assertThrows(FormatException.class, () -> Checkpoint.read(garbage));
        try (LoadedModel m = LoadedModel.open(modelFile); WorkerPool pool = new WorkerPool(2);
                TokenShards shards = TokenShards.open(data)) {
            Trainer t = new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(2), pool);
            t.step(false);
            Path file = dir.resolve("good.safetensors");
            t.checkpoint().write(file);
            byte[] bytes = Files.readAllBytes(file);
            Path cut = dir.resolve("cut.safetensors");
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            assertThrows(FormatException.class, () -> Checkpoint.read(cut));
            Checkpoint c = Checkpoint.read(file);
            c.parameters().remove("output.weight");
            FormatException e = assertThrows(FormatException.class,
                    () -> new Trainer(m.config(), DecoderParameters.of(m.weights()), shards, settings(2), pool)
                            .resume(c, file));
            assertTrue(e.getMessage().contains("good.safetensors"), e.getMessage());
        }
    }
}
