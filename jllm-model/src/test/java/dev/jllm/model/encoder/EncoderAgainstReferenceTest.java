package dev.jllm.model.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.load.LoadedEncoder;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BERT made by {@code jllm init --arch bert}, then given random values in every tensor (norms and
 * biases included, so none is a no-op), against {@link ScalarReferenceEncoder}: a padded batch with its
 * attention mask (rows of different lengths, token types 0 and 1, a masked hole inside a row, a row at
 * all 64 positions of the model) and each row encoded alone.
 */
class EncoderAgainstReferenceTest {
    private static final int LENGTH = 64;

    @TempDir
    static Path dir;
    static Path model;
    /** The same model with its matrices stored as F16: the encoder reads those in place instead of packing. */
    static Path f16Model;
    static int[] ids;
    static int[] types;
    static int[] mask;
    static final int ROWS = 4;

    @BeforeAll
    static void makeModelAndBatch() throws Exception {
        model = randomBert(dir);
        f16Model = randomBert(dir, DType.F16);
        SplittableRandom rng = new SplittableRandom(5);
        ids = new int[ROWS * LENGTH];
        types = new int[ROWS * LENGTH];
        mask = new int[ROWS * LENGTH];
        int[] lengths = {13, 1, LENGTH, 40};
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < LENGTH; i++) {
                int at = r * LENGTH + i;
                // padding positions hold arbitrary ids and types: the mask alone must hide them
                ids[at] = rng.nextInt(512);
                types[at] = r == 3 && i >= 20 ? 1 : rng.nextInt(2) * (i < lengths[r] ? 0 : 1);
                mask[at] = i < lengths[r] ? 1 : 0;
            }
        }
        mask[3 * LENGTH + 7] = 0; // a hole inside row 3: that key is hidden, later positions keep their ids
    }

    @Test
    void paddedBatchWithMaskEqualsTheScalarReference() throws Exception {
        paddedBatchEqualsTheScalarReference(model);
    }

    @Test
    void matricesReadInPlaceEqualTheScalarReference() throws Exception {
        paddedBatchEqualsTheScalarReference(f16Model);
    }

    private static void paddedBatchEqualsTheScalarReference(Path model) throws Exception {
        try (GgufFile gguf = GgufFile.open(model); LoadedEncoder loaded = LoadedEncoder.open(model);
                WorkerPool pool = new WorkerPool(2)) {
            Encoder encoder = new Encoder(loaded.config(), loaded.weights(), pool);
            int dim = loaded.config().dim();
            float[] got = encoder.forwardPadded(ROWS, LENGTH, ids, types, mask);
            ScalarReferenceEncoder reference = new ScalarReferenceEncoder(gguf);
            for (int r = 0; r < ROWS; r++) {
                int from = r * LENGTH;
                double[][] want = reference.hidden(java.util.Arrays.copyOfRange(ids, from, from + LENGTH),
                        java.util.Arrays.copyOfRange(types, from, from + LENGTH),
                        java.util.Arrays.copyOfRange(mask, from, from + LENGTH));
                for (int i = 0; i < LENGTH; i++) {
                    if (mask[from + i] != 0) {
                        assertClose(want[i], got, (from + i) * dim, 1e-4, "row " + r + " position " + i);
                    } else {
                        for (int c = 0; c < dim; c++) {
                            assertEquals(0f, got[(from + i) * dim + c], "masked row " + r + " position " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void eachRowAloneEqualsItsRowOfThePaddedBatch() throws Exception {
        try (LoadedEncoder loaded = LoadedEncoder.open(model); WorkerPool pool = new WorkerPool(2)) {
            Encoder encoder = new Encoder(loaded.config(), loaded.weights(), pool);
            int dim = loaded.config().dim();
            float[] padded = encoder.forwardPadded(ROWS, LENGTH, ids, types, mask);
            for (int r = 0; r < ROWS; r++) {
                int from = r * LENGTH;
                EncoderBatch alone = new EncoderBatch().addMasked(ids, types, mask, from, LENGTH);
                float[] got = encoder.forward(alone);
                int t = 0;
                for (int i = 0; i < LENGTH; i++) {
                    if (mask[from + i] != 0) {
                        double[] want = new double[dim];
                        for (int c = 0; c < dim; c++) {
                            want[c] = padded[(from + i) * dim + c];
                        }
                        assertClose(want, got, t++ * dim, 1e-5, "row " + r + " alone, position " + i);
                    }
                }
            }
        }
    }

    @Test
    void idsTypesAndPositionsOutsideTheTablesAreRefused() throws Exception {
        try (LoadedEncoder loaded = LoadedEncoder.open(model); WorkerPool pool = new WorkerPool(1)) {
            Encoder encoder = new Encoder(loaded.config(), loaded.weights(), pool);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.forward(new EncoderBatch().add(new int[] {1, 512}, null)));
            assertTrue(e.getMessage().contains("token id 512"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.forward(new EncoderBatch().add(new int[] {1, 2}, new int[] {0, 2})));
            assertTrue(e.getMessage().contains("token type 2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.forward(new EncoderBatch().add(new int[LENGTH + 1], null)));
            assertTrue(e.getMessage().contains("position 64"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new EncoderBatch().add(new int[0], null));
        }
    }

    @Test
    void theReferenceErfIsAccurate() {
        // values from tables of erf (Abramowitz and Stegun 7.1)
        assertEquals(0.5204998778130465, ScalarReferenceEncoder.erf(0.5), 1e-12);
        assertEquals(-0.8427007929497149, ScalarReferenceEncoder.erf(-1), 1e-12);
        assertEquals(0.9953222650189527, ScalarReferenceEncoder.erf(2), 1e-12);
        assertEquals(0.9999999845827421, ScalarReferenceEncoder.erf(4), 1e-12);
        assertEquals(0.9999999999984626, ScalarReferenceEncoder.erf(5), 1e-12);
    }

    /** The tiny BERT of {@code jllm init} with every tensor random; cached in {@code dir}. */
    static Path randomBert(Path dir) throws Exception {
        return randomBert(dir, DType.F32);
    }

    /** As {@link #randomBert(Path)}, its matrices (not its vectors) stored as {@code matrixType}, F32 or F16. */
    static synchronized Path randomBert(Path dir, DType matrixType) throws Exception {
        Path out = dir.resolve("bert-random-" + matrixType + ".gguf");
        if (Files.exists(out)) {
            return out;
        }
        Path init = dir.resolve("bert-init.gguf");
        ModelDims tiny = ModelPreset.tiny(Architecture.BERT);
        // 64 positions rather than 256: a full-length row stays cheap before the JIT has compiled the kernels
        ModelDims dims = new ModelDims(tiny.dim(), tiny.layers(), tiny.heads(), tiny.kvHeads(), tiny.ff(), tiny.vocab(),
                tiny.headDim(), LENGTH, tiny.ropeTheta(), tiny.normEps(), tiny.tiedEmbeddings());
        RandomModelWriter.write(Architecture.BERT, dims, "test",
                PlaceholderVocabulary.metadata(512), 7, LlamaFileType.ALL_F32, init, null);
        try (GgufFile src = GgufFile.open(init); Arena arena = Arena.ofConfined()) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            SplittableRandom rng = new SplittableRandom(11);
            for (GgufTensorInfo info : src.tensors()) {
                float[] v = new float[(int) info.elements()];
                boolean vector = info.shape().length == 1;
                for (int i = 0; i < v.length; i++) {
                    double g = rng.nextGaussian();
                    v[i] = (float) (info.name().endsWith("norm.weight") ? 1 + 0.2 * g : vector ? 0.1 * g : 0.08 * g);
                }
                if (vector || matrixType == DType.F32) {
                    w.addTensor(info.name(), Tensor.ofFloats(v, info.shape()));
                } else {
                    Tensor half = Tensor.allocate(arena, DType.F16, info.shape());
                    for (int i = 0; i < v.length; i++) {
                        half.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v[i]));
                    }
                    w.addTensor(info.name(), half);
                }
            }
            w.write(out);
        }
        return out;
    }

    static void assertClose(double[] want, float[] got, int offset, double bound, String what) {
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[offset + i]));
        }
        assertTrue(maxErr <= bound * maxAbs, what + ": max error " + maxErr + " vs max |value| " + maxAbs
                + " (relative " + maxErr / maxAbs + ", bound " + bound + ")");
    }
}
