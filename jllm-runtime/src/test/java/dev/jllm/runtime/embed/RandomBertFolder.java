package dev.jllm.runtime.embed;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.convert.GgufToHfConverter;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.PlaceholderVocabulary;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.quantize.LlamaFileType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tiny BERT ({@code jllm init --arch bert}, every tensor random, 64 positions) as an HF folder with a
 * 512-token WordPiece {@code vocab.txt}: letters, digits, a few words and CJK characters, so real text
 * tokenizes into many ids.
 */
final class RandomBertFolder {
    static final int POSITIONS = 64;

    private RandomBertFolder() {
    }

    static Path create(Path dir) throws Exception {
        Path init = dir.resolve("init.gguf");
        ModelDims t = ModelPreset.tiny(Architecture.BERT);
        ModelDims dims = new ModelDims(t.dim(), 2, t.heads(), t.kvHeads(), t.ff(), 512, t.headDim(), POSITIONS,
                t.ropeTheta(), t.normEps(), t.tiedEmbeddings());
        RandomModelWriter.write(Architecture.BERT, dims, "t", PlaceholderVocabulary.metadata(512), 3,
                LlamaFileType.ALL_F32, init, null);
        Path gguf = dir.resolve("bert.gguf");
        try (GgufFile src = GgufFile.open(init)) {
            var values = new LinkedHashMap<>(src.values());
            values.remove(GgufFile.ALIGNMENT_KEY);
            GgufWriter w = new GgufWriter().putAll(values);
            SplittableRandom rng = new SplittableRandom(21);
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
        Path folder = dir.resolve("bert");
        GgufToHfConverter.convert(gguf, folder);
        Files.delete(folder.resolve("tokenizer.json"));
        Files.delete(folder.resolve("tokenizer_config.json"));
        Files.write(folder.resolve("vocab.txt"), vocabulary());
        return folder;
    }

    private static List<String> vocabulary() {
        List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
            v.add("##" + c);
        }
        for (char c = '0'; c <= '9'; c++) {
            v.add(String.valueOf(c));
            v.add("##" + c);
        }
        v.addAll(List.of(".", ",", "!", "?", "'", "-", "the", "hello", "world", "model", "##s", "##ing", "cat", "dog",
                "中", "文", "你", "好", "世", "界"));
        for (int i = v.size(); i < 512; i++) {
            v.add("w" + i);
        }
        return v;
    }
}
