package dev.jllm.formats.convert;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufWriter;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.SentenceTransformersModules;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.init.TensorSpec;
import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.formats.quantize.RowStreamedTensor;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a Hugging Face GPT-2, BERT or T5 folder into a GGUF file in llama.cpp's layout: tensor names from
 * {@link FamilyTensorNames} (GPT-2's Conv1D weights transposed), buffers and heads llama.cpp drops left out
 * (GPT-2's attention masks, BERT's pooler and masked-LM head, T5's per-stack copies of the shared embedding),
 * the same hyperparameter keys {@code jllm init} writes, and the tokenizer of the folder (padded with unused
 * {@code [PADn]} tokens up to the embedding's rows, as llama.cpp pads T5's 32000 pieces to 32128). BERT's pooling
 * comes from a sentence-transformers {@code modules.json}/{@code 1_Pooling} when the folder has one, else it is
 * CLS. Where llama.cpp's converter copies GPT-2's tied embedding into an {@code output.weight}, this one leaves
 * it out: llama.cpp's loader falls back to the embedding, and the GGUF → HF → GGUF round trip stays exact.
 */
final class HfGpt2BertT5ToGguf {
    private HfGpt2BertT5ToGguf() {
    }

    static void convert(Path folder, HfModelConfig cfg, Path out, LlamaFileType fileType, GgufQuantizer.Listener listener)
            throws IOException {
        Path configFile = cfg.file();
        Architecture arch = Architecture.parse(cfg.modelType());
        int width = require(configFile, "hidden_size", cfg.width().orElse(-1));
        int layers = require(configFile, "num_hidden_layers", cfg.layers().orElse(-1));
        int heads = require(configFile, "num_attention_heads", cfg.heads().orElse(-1));
        int ff = require(configFile, "intermediate_size", cfg.feedForwardWidth().orElse(-1));
        int headSize = require(configFile, "head_dim", cfg.headSize().orElse(-1));
        if (arch == Architecture.T5 && cfg.t5().numDecoderLayers() != null && cfg.t5().numDecoderLayers() != layers) {
            throw new FormatException(configFile, -1, "num_decoder_layers", cfg.t5().numDecoderLayers()
                    + " decoder blocks for " + layers + " encoder blocks; only equal stacks convert");
        }
        try (SafetensorsModel st = SafetensorsModel.open(folder)) {
            Map<String, Tensor> byGguf = new HashMap<>();
            Map<String, String> hfOf = new HashMap<>();
            for (SafetensorsTensorInfo info : st.tensors()) {
                String name = info.name();
                if (dropped(name)) {
                    continue;
                }
                String g = FamilyTensorNames.toGguf(arch.ggufName(), name);
                if (g == null && arch == Architecture.T5 && name.endsWith("embed_tokens.weight")) {
                    g = "token_embd.weight"; // per-stack copies of shared.weight: the first one found is kept
                }
                Path file = st.fileOf(name).map(f -> f.path()).orElse(folder);
                if (g == null) {
                    throw new FormatException(file, -1, name, "tensor has no GGUF name for " + cfg.modelType());
                }
                if (!SourceRows.readable(info.dtype().coreType())) {
                    throw new FormatException(file, -1, name, "dtype " + info.dtype() + " is not converted; only F32, F16 and BF16");
                }
                if (!byGguf.containsKey(g)) {
                    byGguf.put(g, st.tensor(name));
                    hfOf.put(g, name);
                }
            }
            Tensor embd = byGguf.get("token_embd.weight");
            if (embd == null) {
                throw new FormatException(folder, -1, FamilyTensorNames.toHf(arch.ggufName(), "token_embd.weight", false),
                        "missing");
            }
            int vocab = (int) embd.dim(0);
            boolean tied = !byGguf.containsKey("output.weight");
            ModelDims dims = new ModelDims(width, layers, heads, cfg.kvHeads().orElse(heads), ff, vocab, headSize,
                    cfg.contextLength().orElse(arch == Architecture.T5 ? 512 : 2048), 10000f,
                    (float) cfg.normEps().orElse(1e-5), tied);
            if (fileType == null) {
                fileType = switch (embd.type()) {
                    case F16 -> LlamaFileType.MOSTLY_F16;
                    case BF16 -> LlamaFileType.MOSTLY_BF16;
                    default -> LlamaFileType.ALL_F32;
                };
            }
            Map<String, GgufValue> tokenizer = TokenizerToGguf.padded(TokenizerToGguf.metadata(folder), vocab, folder);
            if (!tokenizer.containsKey("tokenizer.ggml.bos_token_id") && cfg.bosTokenIds() != null && !cfg.bosTokenIds().isEmpty()) {
                tokenizer.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(cfg.bosTokenIds().getFirst()));
            }
            if (!tokenizer.containsKey("tokenizer.ggml.eos_token_id") && cfg.eosTokenIds() != null && !cfg.eosTokenIds().isEmpty()) {
                tokenizer.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(cfg.eosTokenIds().getFirst()));
            }
            String name = cfg.raw().path("_name_or_path").asText("");
            name = name.substring(name.lastIndexOf('/') + 1);
            GgufWriter w = new GgufWriter();
            RandomModelWriter.putHyperparameters(w, arch, dims,
                    name.isEmpty() ? folder.toAbsolutePath().getFileName().toString() : name, fileType);
            String a = arch.ggufName();
            switch (arch) {
                case BERT -> {
                    w.putUint32(a + ".pooling_type", poolingType(folder));
                    if (cfg.typeVocabSize() != null) {
                        w.putUint32("tokenizer.ggml.token_type_count", cfg.typeVocabSize());
                    }
                }
                case T5 -> {
                    if (cfg.t5().relativeAttentionNumBuckets() != null) {
                        w.putUint32(a + ".attention.relative_buckets_count", cfg.t5().relativeAttentionNumBuckets());
                    }
                    if (cfg.t5().decoderStartTokenId() != null) {
                        w.putUint32(a + ".decoder_start_token_id", cfg.t5().decoderStartTokenId());
                    }
                }
                default -> {
                }
            }
            w.putAll(tokenizer);
            // tensors in the order jllm init writes them, so the two kinds of file read alike
            List<String> order = new ArrayList<>();
            for (TensorSpec s : arch.tensors(dims)) {
                order.add(s.name());
            }
            List<String> names = new ArrayList<>(byGguf.keySet());
            names.sort((x, y) -> Integer.compare(rank(order, x), rank(order, y)) != 0
                    ? Integer.compare(rank(order, x), rank(order, y)) : x.compareTo(y));
            for (int k = 0; k < names.size(); k++) {
                String g = names.get(k);
                Tensor t = byGguf.get(g);
                RowStreamedTensor.RowSource rows;
                long[] shape;
                if (FamilyTensorNames.transposed(a, g)) {
                    TransposedRows tr;
                    try {
                        tr = new TransposedRows(t);
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(folder, -1, hfOf.get(g), e.getMessage());
                    }
                    rows = tr;
                    shape = tr.shape();
                } else {
                    rows = new SourceRows(t, null);
                    shape = t.shape();
                }
                long rowLength = shape[shape.length - 1];
                long elements = 1;
                for (long d : shape) {
                    elements *= d;
                }
                DType type = ConvertedTensorTypes.of(g, shape, fileType);
                w.addTensor(g, type, shape, ConvertedTensor.of(listener, k, names.size(), g, t.type(), type,
                        elements / rowLength, rowLength, rows));
            }
            w.write(out);
        }
    }

    private static int rank(List<String> order, String name) {
        int i = order.indexOf(name);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    /** Buffers and heads that llama.cpp's converter leaves out. */
    private static boolean dropped(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.endsWith("position_ids")
                || name.startsWith("pooler.") || name.startsWith("bert.pooler.") || name.startsWith("cls.");
    }

    /** llama.cpp's pooling type of a sentence-transformers folder: 1 mean, 2 CLS; CLS without one. */
    private static int poolingType(Path folder) throws IOException {
        if (!Files.isRegularFile(folder.resolve("modules.json"))) {
            return 2;
        }
        return switch (SentenceTransformersModules.read(folder).pooling()) {
            case MEAN -> 1;
            case CLS -> 2;
            case LAST -> throw new FormatException(folder.resolve("modules.json"), -1, "pooling_mode_lasttoken",
                    "only mean and CLS pooling convert to GGUF");
        };
    }

    private static int require(Path file, String field, int value) throws FormatException {
        if (value <= 0) {
            throw new FormatException(file, -1, field, "missing or not positive");
        }
        return value;
    }
}
