package dev.jllm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.model.ModelConfig;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A GGUF model converted to an HF folder runs to the same logits from the folder: the HF binding reads
 * HF's names, its rotate-halves q/k row order (undone by the converter's permutation), and config.json; a
 * tensor missing from the folder is named as the folder would name it.
 */
class HfFolderAgainstGgufTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"LLAMA", "QWEN2", "QWEN3", "GPT2"})
    void sameLogitsFromTheFolder(Architecture arch) throws Exception {
        Path gguf = DecoderAgainstReferenceTest.randomModel(dir, arch, "plain");
        Path folder = dir.resolve(arch.name().toLowerCase());
        GgufToHfConverter.convert(gguf, folder);
        int[] prompt = {1, 5, 300, 42, 77, 8};
        try (LoadedModel a = LoadedModel.open(gguf); LoadedModel b = LoadedModel.open(folder);
                WorkerPool pool = new WorkerPool(2)) {
            assertEquals("hf", b.format());
            if (arch == Architecture.LLAMA) {
                assertEquals(ModelConfig.Positions.ROPE_ADJACENT, a.config().positions());
                assertEquals(ModelConfig.Positions.ROPE_HALVES, b.config().positions());
            }
            float[] la = logits(a, pool, prompt);
            float[] lb = logits(b, pool, prompt);
            double max = 0;
            double err = 0;
            for (int i = 0; i < la.length; i++) {
                max = Math.max(max, Math.abs(la[i]));
                err = Math.max(err, Math.abs(la[i] - lb[i]));
            }
            assertTrue(err <= 1e-4 * max, arch + ": max difference " + err + " of max |logit| " + max);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"QWEN2", "GPT2"})
    void aMissingTensorIsNamedAsTheFolderNamesIt(Architecture arch) throws Exception {
        Path gguf = DecoderAgainstReferenceTest.randomModel(dir, arch, "plain");
        Path holed = dir.resolve("holed.gguf");
        String dropped = "blk.1.ffn_up.weight";
        try (GgufFile src = GgufFile.open(gguf)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            for (GgufTensorInfo info : src.tensors()) {
                if (!info.name().equals(dropped)) {
                    w.addTensor(info.name(), src.tensor(info.name()));
                }
            }
            w.write(holed);
        }
        Path folder = dir.resolve("holed-" + arch.name().toLowerCase());
        GgufToHfConverter.convert(holed, folder);
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(folder));
        String hfName = arch == Architecture.GPT2 ? "h.1.mlp.c_fc.weight" : "model.layers.1.mlp.up_proj.weight";
        assertTrue(e.getMessage().contains(hfName) && e.getMessage().contains("missing"), e.getMessage());
    }

    private static float[] logits(LoadedModel m, WorkerPool pool, int[] prompt) {
        Decoder d = new Decoder(m.config(), m.weights(), pool);
        float[] all = new float[prompt.length * m.config().vocabSize()];
        try (KvCache cache = d.newCache(DType.F32, 64)) {
            d.forward(prompt, 0, prompt.length, 0, cache, all, true);
        }
        return all;
    }
}
