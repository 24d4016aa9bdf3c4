package dev.jllm.model.t5;

import dev.jllm.core.parallel.WorkerPool;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufArchitecturePeek;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.cache.KvCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loading T5 from an HF folder (made from the GGUF file by jllm's converter) and the errors of bad files. */
class LoadedT5Test {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0}, tied {1}")
    @CsvSource({"gated, true", "relu, false"})
    void anHfFolderRunsLikeItsGgufFile(String ffn, boolean tied) throws Exception {
        Path gguf = T5AgainstReferenceTest.randomT5(dir, ffn, tied);
        Path folder = dir.resolve("hf-" + ffn + "-" + tied);
        GgufToHfConverter.convert(gguf, folder);
        assertTrue(LoadedT5.isT5(gguf));
        assertTrue(LoadedT5.isT5(folder));
        try (LoadedT5 a = LoadedT5.open(gguf); LoadedT5 b = LoadedT5.open(folder); WorkerPool pool = new WorkerPool(2)) {
            assertEquals("hf", b.format());
            assertEquals(a.config(), b.config());
            assertTrue(b.tokenizer().isPresent(), "the converted folder has a tokenizer.json");
            float[] la = logits(new T5Model(a.config(), a.weights(), pool));
            float[] lb = logits(new T5Model(b.config(), b.weights(), pool));
            assertArrayEquals(la, lb, 1e-5f);
        }
    }

    private static float[] logits(T5Model model) {
        int[] decoder = T5AgainstReferenceTest.DECODER;
        float[] out = new float[decoder.length * model.config().vocabSize()];
        try (EncodedInput input = model.encodeForDecoding(T5AgainstReferenceTest.INPUT, DType.F32);
                KvCache cache = model.newDecoderCache(DType.F32, decoder.length)) {
            model.decode(decoder, 0, decoder.length, 0, cache, input, out, true);
        }
        return out;
    }

    @Test
    void aMissingTensorIsNamed() throws Exception {
        Path good = T5AgainstReferenceTest.randomT5(dir, "gated", true);
        Path bad = dir.resolve("no-cross-k.gguf");
        try (GgufFile src = GgufFile.open(good)) {
            Map<String, GgufValue> values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter();
            w.putAll(values);
            for (GgufTensorInfo info : src.tensors()) {
                if (!info.name().equals("dec.blk.1.cross_attn_k.weight")) {
                    w.addTensor(info.name(), src.tensor(info.name()));
                }
            }
            w.write(bad);
        }
        FormatException e = assertThrows(FormatException.class, () -> LoadedT5.open(bad));
        assertTrue(e.getMessage().contains("dec.blk.1.cross_attn_k.weight"), e.getMessage());
        // the same gap in an HF folder is named as HF names it
        Path folder = dir.resolve("hf-no-cross-k");
        GgufToHfConverter.convert(bad, folder);
        FormatException hf = assertThrows(FormatException.class, () -> LoadedT5.open(folder));
        assertTrue(hf.getMessage().contains("decoder.block.1.layer.1.EncDecAttention.k.weight"), hf.getMessage());
    }

    @Test
    void otherArchitecturesAreNotT5() throws Exception {
        Path llama = dir.resolve("llama.gguf");
        RandomModelWriter.write(Architecture.LLAMA, ModelPreset.tiny(Architecture.LLAMA), "test",
                PlaceholderVocabulary.metadata(512), 1, LlamaFileType.ALL_F32, llama, null);
        assertFalse(LoadedT5.isT5(llama));
        assertFalse(LoadedT5.isT5(dir.resolve("missing.gguf")));
        FormatException e = assertThrows(FormatException.class, () -> LoadedT5.open(llama));
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        assertFalse(LoadedT5.isT5(text));
        assertThrows(FormatException.class, () -> LoadedT5.open(text));
    }

    /** The quick header read agrees with the full parse, also when the architecture comes after an array. */
    @Test
    void theArchitecturePeekAgreesWithTheFullHeader() throws Exception {
        java.util.List<Path> files = new java.util.ArrayList<>();
        try (var vocabs = Files.list(SharedFixtures.resolve("tokenizers/llamacpp-vocab"))) {
            vocabs.filter(p -> p.toString().endsWith(".gguf")).forEach(files::add);
        }
        files.add(T5AgainstReferenceTest.randomT5(dir, "gated", true));
        Path late = dir.resolve("architecture-last.gguf");
        GgufWriter w = new GgufWriter();
        w.putAll(PlaceholderVocabulary.metadata(300));
        w.putString("general.architecture", "t5");
        w.write(late);
        files.add(late);
        for (Path f : files) {
            try (GgufFile g = GgufFile.open(f)) {
                assertEquals(g.findString("general.architecture"), GgufArchitecturePeek.of(f), f.toString());
            }
        }
        assertTrue(LoadedT5.isT5(late));
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(late), 40));
        assertFalse(LoadedT5.isT5(cut));
    }

    @Test
    void bucketsFollowT5sDefinition() {
        // bidirectional, 32 buckets, max distance 128: 16 per direction, 8 exact, keys after the query in the upper half
        assertEquals(0, RelativePositionBuckets.bucket(0, true, 32, 128));
        assertEquals(7, RelativePositionBuckets.bucket(-7, true, 32, 128));
        assertEquals(16 + 7, RelativePositionBuckets.bucket(7, true, 32, 128));
        assertEquals(10, RelativePositionBuckets.bucket(-16, true, 32, 128));
        assertEquals(12, RelativePositionBuckets.bucket(-32, true, 32, 128));
        assertEquals(15, RelativePositionBuckets.bucket(-1000, true, 32, 128));
        // causal: only keys before the query, all 32 buckets for distance back, 16 exact
        assertEquals(0, RelativePositionBuckets.bucket(3, false, 32, 128));
        assertEquals(15, RelativePositionBuckets.bucket(-15, false, 32, 128));
        assertEquals(16, RelativePositionBuckets.bucket(-16, false, 32, 128));
        assertEquals(31, RelativePositionBuckets.bucket(-128, false, 32, 128));
    }
}
