package dev.jllm.formats.convert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Hugging Face {@code config.json} of a GPT-2, BERT or T5 GGUF file, in each family's own field names
 * ({@code n_embd}…, {@code hidden_size}…, {@code d_model}…), and BERT's pooling as a sentence-transformers
 * {@code modules.json} with {@code 1_Pooling/config.json}: the fields {@link HfGpt2BertT5ToGguf} reads back.
 */
final class FamilyHfConfig {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private FamilyHfConfig() {
    }

    static ObjectNode of(GgufFile g, String arch, String hfClass, boolean tied, boolean gated) throws FormatException {
        ObjectNode c = F.objectNode();
        c.putArray("architectures").add(hfClass);
        c.put("model_type", arch);
        g.findString("general.name").ifPresent(n -> c.put("_name_or_path", n));
        long width = g.getLong(arch + ".embedding_length");
        long heads = g.getLong(arch + ".attention.head_count");
        long ff = g.getLong(arch + ".feed_forward_length");
        long layers = g.getLong(arch + ".block_count");
        long context = g.getLong(arch + ".context_length");
        long vocab = g.findTensor("token_embd.weight").map(t -> t.shape()[0])
                .orElseThrow(() -> new FormatException(g.path(), -1, "token_embd.weight", "missing"));
        switch (arch) {
            case "gpt2" -> {
                c.put("n_embd", width).put("n_layer", layers).put("n_head", heads).put("n_inner", ff);
                c.put("n_positions", context).put("n_ctx", context);
                c.put("layer_norm_epsilon", (float) g.getDouble(arch + ".attention.layer_norm_epsilon"));
                c.put("activation_function", "gelu_new");
            }
            case "bert" -> {
                c.put("hidden_size", width).put("num_hidden_layers", layers).put("num_attention_heads", heads);
                c.put("intermediate_size", ff).put("max_position_embeddings", context);
                c.put("type_vocab_size", g.findLong("tokenizer.ggml.token_type_count").orElse(2));
                c.put("layer_norm_eps", (float) g.getDouble(arch + ".attention.layer_norm_epsilon"));
                c.put("hidden_act", "gelu");
            }
            case "t5" -> {
                c.put("d_model", width).put("d_ff", ff).put("num_layers", layers)
                        .put("num_decoder_layers", g.findLong(arch + ".decoder_block_count").orElse(layers));
                c.put("num_heads", heads).put("d_kv", g.findLong(arch + ".attention.key_length").orElse(width / heads));
                c.put("n_positions", context);
                c.put("relative_attention_num_buckets", g.getLong(arch + ".attention.relative_buckets_count"));
                c.put("relative_attention_max_distance", 128);
                c.put("layer_norm_epsilon", (float) g.getDouble(arch + ".attention.layer_norm_rms_epsilon"));
                c.put("feed_forward_proj", gated ? "gated-gelu" : "relu");
                c.put("is_encoder_decoder", true);
                g.findLong(arch + ".decoder_start_token_id").ifPresent(v -> c.put("decoder_start_token_id", v));
            }
            default -> throw new IllegalArgumentException("no Hugging Face config for " + arch);
        }
        c.put("vocab_size", vocab);
        c.put("tie_word_embeddings", tied);
        g.findLong("tokenizer.ggml.bos_token_id").ifPresent(v -> c.put("bos_token_id", v));
        g.findLong("tokenizer.ggml.eos_token_id").ifPresent(v -> c.put("eos_token_id", v));
        c.put("torch_dtype", switch (g.tensor("token_embd.weight").type()) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        });
        return c;
    }

    /** Writes BERT's pooling (llama.cpp's {@code pooling_type} 1 mean, 2 CLS) as sentence-transformers files. */
    static void writePooling(GgufFile g, Path folder) throws IOException {
        long type = g.findLong("bert.pooling_type").orElse(0);
        if (type != 1 && type != 2) {
            return;
        }
        ObjectNode pooling = F.objectNode().put("word_embedding_dimension", g.getLong("bert.embedding_length"))
                .put("pooling_mode_cls_token", type == 2).put("pooling_mode_mean_tokens", type == 1)
                .put("pooling_mode_max_tokens", false).put("pooling_mode_mean_sqrt_len_tokens", false);
        Files.createDirectories(folder.resolve("1_Pooling"));
        GgufToHfConverter.writeJson(folder.resolve("1_Pooling").resolve("config.json"), pooling);
        var modules = F.arrayNode();
        modules.addObject().put("idx", 0).put("name", "0").put("path", "").put("type",
                "sentence_transformers.models.Transformer");
        modules.addObject().put("idx", 1).put("name", "1").put("path", "1_Pooling").put("type",
                "sentence_transformers.models.Pooling");
        byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(modules);
        dev.jllm.formats.io.AtomicFile.write(folder.resolve("modules.json"),
                ch -> dev.jllm.formats.io.ChannelWrites.writeFully(ch, java.nio.ByteBuffer.wrap(bytes)));
    }
}
