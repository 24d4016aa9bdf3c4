package dev.jllm.model.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.LlamaFileType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model files that cannot run fail to open with one error naming the file and what is wrong. */
class LoadedModelErrorsTest {
    @TempDir
    Path dir;

    private Path tiny() throws Exception {
        Path f = dir.resolve("tiny.gguf");
        RandomModelWriter.write(Architecture.LLAMA, ModelPreset.tiny(Architecture.LLAMA), "t",
                PlaceholderVocabulary.metadata(512), 1, LlamaFileType.ALL_F32, f, null);
        return f;
    }

    /** A copy of {@code src} whose metadata and tensors {@code edit} may change (returning null drops a tensor). */
    private Path rewrite(Path src, String name, Map<String, GgufValue> extra,
            BiFunction<GgufTensorInfo, Tensor, Tensor> edit) throws Exception {
        Path out = dir.resolve(name);
        try (GgufFile g = GgufFile.open(src)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(g.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            values.putAll(extra);
            GgufWriter w = new GgufWriter().putAll(values);
            for (GgufTensorInfo info : g.tensors()) {
                Tensor t = edit.apply(info, g.tensor(info.name()));
                if (t != null) {
                    w.addTensor(info.name(), t);
                }
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void missingTensor() throws Exception {
        Path f = rewrite(tiny(), "missing.gguf", Map.of(),
                (info, t) -> info.name().equals("blk.1.attn_k.weight") ? null : t);
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(f));
        assertEquals("blk.1.attn_k.weight", e.field());
        assertTrue(e.getMessage().contains("missing.gguf"), e.getMessage());
    }

    @Test
    void misshapenTensor() throws Exception {
        Path f = rewrite(tiny(), "shape.gguf", Map.of(), (info, t) -> info.name().equals("blk.0.ffn_up.weight")
                ? Tensor.ofFloats(new float[(int) t.cols() * 10], 10, t.cols()) : t);
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(f));
        assertTrue(e.getMessage().contains("block 0 up") && e.getMessage().contains("shape.gguf"), e.getMessage());
    }

    @Test
    void unsupportedArchitectureListsTheSupportedOnes() throws Exception {
        Path f = rewrite(tiny(), "arch.gguf", Map.of("general.architecture", GgufValue.string("mamba")),
                (info, t) -> t);
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(f));
        assertTrue(e.getMessage().contains("'mamba' is not supported; supported: llama, qwen2, qwen3, gpt2"),
                e.getMessage());
    }

    @Test
    void missingHyperparameter() throws Exception {
        Path src = tiny();
        Path out = dir.resolve("nokey.gguf");
        try (GgufFile g = GgufFile.open(src)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(g.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            values.remove("llama.attention.head_count");
            GgufWriter w = new GgufWriter().putAll(values);
            for (GgufTensorInfo info : g.tensors()) {
                w.addTensor(info.name(), g.tensor(info.name()));
            }
            w.write(out);
        }
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(out));
        assertEquals("llama.attention.head_count", e.field());
    }

    @Test
    void notAModel() throws Exception {
        Path f = dir.resolve("notes.bin");
        Files.writeString(f, "hello");
        assertThrows(FormatException.class, () -> LoadedModel.open(f));
        assertThrows(FormatException.class, () -> LoadedModel.open(dir.resolve("absent.gguf")));
        Path folder = Files.createDirectory(dir.resolve("empty"));
        FormatException e = assertThrows(FormatException.class, () -> LoadedModel.open(folder));
        assertEquals("config.json", e.field());
    }
}
