package dev.jllm.model.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import dev.jllm.formats.safetensors.SafetensorsWriter;
import dev.jllm.model.encoder.Encoder;
import dev.jllm.model.encoder.EncoderBatch;
import dev.jllm.model.encoder.Pooling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random BERT opens the same from its GGUF file and from the HF folder {@code jllm convert} makes of
 * it, also with the {@code bert.} prefix and TensorFlow's gamma/beta names; files that are not BERT
 * encoders fail with one error naming the field.
 */
class LoadedEncoderTest {
    private static final int[] IDS = {2, 17, 300, 42, 42, 511, 7, 3};

    @TempDir
    static Path dir;
    static Path gguf;

    @BeforeAll
    static void randomBert() throws Exception {
        Path init = dir.resolve("init.gguf");
        RandomModelWriter.write(Architecture.BERT, ModelPreset.tiny(Architecture.BERT), "t",
                PlaceholderVocabulary.metadata(512), 3, LlamaFileType.ALL_F32, init, null);
        gguf = dir.resolve("bert.gguf");
        // init leaves norms at 1 and biases at 0: randomise them so a misplaced one changes the output
        try (GgufFile src = GgufFile.open(init)) {
            var values = new java.util.LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter().putAll(values);
            SplittableRandom rng = new SplittableRandom(9);
            for (GgufTensorInfo info : src.tensors()) {
                float[] v = new float[(int) info.elements()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (info.name().endsWith("norm.weight") ? 1 + 0.2 * rng.nextGaussian()
                            : 0.08 * rng.nextGaussian());
                }
                w.addTensor(info.name(), Tensor.ofFloats(v, info.shape()));
            }
            w.write(gguf);
        }
    }

    private static float[] encode(Path model) throws Exception {
        try (LoadedEncoder loaded = LoadedEncoder.open(model); WorkerPool pool = new WorkerPool(1)) {
            return new Encoder(loaded.config(), loaded.weights(), pool).forward(new EncoderBatch().add(IDS,
                    new int[] {0, 0, 0, 0, 1, 1, 1, 1}));
        }
    }

    @Test
    void ggufAndItsHfFolderGiveTheSameStates() throws Exception {
        Path folder = dir.resolve("hf");
        GgufToHfConverter.convert(gguf, folder);
        assertTrue(LoadedEncoder.isEncoder(gguf));
        assertTrue(LoadedEncoder.isEncoder(folder));
        assertFalse(LoadedEncoder.isEncoder(dir.resolve("no-such-file")));
        try (LoadedEncoder g = LoadedEncoder.open(gguf); LoadedEncoder h = LoadedEncoder.open(folder)) {
            assertEquals(g.config(), h.config());
            assertEquals(Pooling.CLS, h.config().pooling(), "init writes pooling_type 2; the folder's 1_Pooling says CLS");
            assertEquals("gguf", g.format());
            assertEquals("hf", h.format());
            assertTrue(h.tokenizer().isPresent());
            assertFalse(h.normalizes());
        }
        assertArrayEquals(encode(gguf), encode(folder));
    }

    @Test
    void bertPrefixAndGammaBetaNamesAreRead() throws Exception {
        Path folder = dir.resolve("hf-prefixed");
        GgufToHfConverter.convert(gguf, folder);
        Path weights = folder.resolve("model.safetensors");
        Path renamed = dir.resolve("renamed.safetensors");
        try (SafetensorsModel m = SafetensorsModel.open(weights)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (SafetensorsTensorInfo info : m.tensors()) {
                String name = "bert." + info.name().replace("LayerNorm.weight", "LayerNorm.gamma")
                        .replace("LayerNorm.bias", "LayerNorm.beta");
                w.addTensor(name, m.tensor(info.name()));
            }
            w.write(renamed);
        }
        Files.move(renamed, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertArrayEquals(encode(gguf), encode(folder));
    }

    @Test
    void q8QuantizedFileFollowsTheF32One() throws Exception {
        Path q8 = dir.resolve("bert-q8_0.gguf");
        GgufQuantizer.quantize(gguf, q8, LlamaFileType.MOSTLY_Q8_0, false, null);
        try (GgufFile g = GgufFile.open(q8)) {
            assertEquals(dev.jllm.core.tensor.DType.Q8_0, g.findTensor("blk.0.ffn_up.weight").orElseThrow().type());
        }
        float[] want = encode(gguf);
        float[] got = encode(q8);
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
        }
        // 8-bit weights (and 8-bit activations in their dot products) keep states within a few percent
        assertTrue(maxErr > 0 && maxErr < 0.05 * maxAbs, "max error " + maxErr + " of " + maxAbs);
    }

    @Test
    void aDecoderFolderIsNotAnEncoder() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("llama"));
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"llama\"}");
        assertFalse(LoadedEncoder.isEncoder(folder));
        FormatException e = assertThrows(FormatException.class, () -> LoadedEncoder.open(folder));
        assertTrue(e.getMessage().contains("model_type") && e.getMessage().contains("llama"), e.getMessage());
    }

    @Test
    void aDecoderGgufIsNotAnEncoder() throws Exception {
        Path f = dir.resolve("llama.gguf");
        RandomModelWriter.write(Architecture.LLAMA, ModelPreset.tiny(Architecture.LLAMA), "t",
                PlaceholderVocabulary.metadata(512), 1, LlamaFileType.ALL_F32, f, null);
        assertFalse(LoadedEncoder.isEncoder(f));
        FormatException e = assertThrows(FormatException.class, () -> LoadedEncoder.open(f));
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path f = dir.resolve("missing.gguf");
        try (GgufFile src = GgufFile.open(gguf)) {
            var values = new java.util.LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter().putAll(values);
            for (GgufTensorInfo info : src.tensors()) {
                if (!info.name().equals("blk.1.layer_output_norm.weight")) {
                    w.addTensor(info.name(), src.tensor(info.name()));
                }
            }
            w.write(f);
        }
        FormatException e = assertThrows(FormatException.class, () -> LoadedEncoder.open(f));
        assertTrue(e.getMessage().contains("blk.1.layer_output_norm.weight"), e.getMessage());
    }
}
