package dev.jllm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.init.Architecture;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Continuous batching: three sequences advance together in mixed batches (a long prefill chunk that
 * takes the matrix-product attention path, short chunks and single decode tokens), and every logits
 * row equals the scalar reference's for that sequence alone at that position.
 */
class DecoderBatchTest {
    private static final int[] A = {1, 17, 300, 42, 42, 511, 7, 260, 99, 3, 128, 64};
    private static final int[] B = {5, 6, 7, 8, 9, 10, 11};
    private static final int[] C = {400, 2, 2, 2, 33, 301, 77, 16, 8, 250};

    @TempDir
    static Path dir;

    static Stream<Arguments> variants() {
        return Stream.of(Arguments.of(Architecture.LLAMA, "plain"), Arguments.of(Architecture.GPT2, "plain"),
                Arguments.of(Architecture.LLAMA, "sliding-window"), Arguments.of(Architecture.QWEN3, "mqa"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void mixedBatchesEqualEachSequenceAlone(Architecture arch, String variant) throws Exception {
        Path file = DecoderAgainstReferenceTest.randomModel(dir, arch, variant);
        try (GgufFile gguf = GgufFile.open(file); LoadedModel model = LoadedModel.open(file);
                WorkerPool pool = new WorkerPool(2)) {
            ScalarReferenceDecoder reference = new ScalarReferenceDecoder(gguf);
            double[][] wantA = reference.logits(A);
            double[][] wantB = reference.logits(B);
            double[][] wantC = reference.logits(C);
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            int vocab = model.config().vocabSize();
            int context = model.config().contextLength();
            float[] logits = new float[3 * vocab];
            String what = arch + " " + variant;
            try (KvCache a = decoder.newCache(DType.F32, context); KvCache b = decoder.newCache(DType.F32, context);
                    KvCache c = decoder.newCache(DType.F32, context)) {
                DecoderBatch batch = new DecoderBatch();
                // step 1: A's first 9 tokens (matrix-product attention), B whole, C's first 3 without logits
                decoder.forward(batch.clear().add(a, A, 0, 9, 0, true).add(b, B, 0, B.length, 0, true)
                        .add(c, C, 0, 3, 0, false), logits);
                check(wantA[8], logits, 0, what + " step 1, A");
                check(wantB[B.length - 1], logits, vocab, what + " step 1, B");
                // step 2: A decodes one token, C prefills its next 7 (per-position attention)
                decoder.forward(batch.clear().add(c, C, 3, 7, 3, true).add(a, A, 9, 1, 9, true), logits);
                check(wantC[9], logits, 0, what + " step 2, C");
                check(wantA[9], logits, vocab, what + " step 2, A");
                // step 3: A's last two tokens alone
                decoder.forward(batch.clear().add(a, A, 10, 2, 10, true), logits);
                check(wantA[11], logits, 0, what + " step 3, A");
            }
        }
    }

    @Test
    void aSequenceMayHaveOnlyOneSegmentPerBatch() throws Exception {
        Path file = DecoderAgainstReferenceTest.randomModel(dir, Architecture.LLAMA, "plain");
        try (LoadedModel model = LoadedModel.open(file); WorkerPool pool = new WorkerPool(1)) {
            Decoder decoder = new Decoder(model.config(), model.weights(), pool);
            try (KvCache a = decoder.newCache(DType.F32, 16)) {
                DecoderBatch batch = new DecoderBatch().add(a, A, 0, 2, 0, true);
                assertThrows(IllegalArgumentException.class, () -> batch.add(a, A, 2, 1, 2, true));
                assertThrows(IllegalArgumentException.class, () -> batch.add(decoder.newCache(DType.F32, 4), A, 0, 5,
                        0, true));
                assertThrows(IllegalArgumentException.class,
                        () -> decoder.forward(new DecoderBatch(), new float[model.config().vocabSize()]));
            }
        }
    }

    private static void check(double[] want, float[] got, int offset, String what) {
        DecoderAgainstReferenceTest.assertClose(want, got, offset, 1e-4, what);
    }
}
