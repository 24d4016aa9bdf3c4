package dev.jllm.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The fields of a Hugging Face {@code config.json} that the model families need, under the names
 * the file uses; a field is null (or an empty list) when the file lacks it or writes JSON null.
 * The accessors without a JSON name ({@link #width()}, {@link #layers()}, ...) resolve the
 * families' different names for the same quantity. Every other field stays readable in {@link #raw()}.
 *
 * @param file the file read
 * @param modelType {@code model_type}, e.g. {@code llama}
 * @param architectures {@code architectures}, e.g. {@code LlamaForCausalLM}
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads}
 * @param headDim {@code head_dim}
 * @param vocabSize {@code vocab_size}
 * @param maxPositionEmbeddings {@code max_position_embeddings}
 * @param rmsNormEps {@code rms_norm_eps}
 * @param layerNormEps {@code layer_norm_eps} (BERT)
 * @param layerNormEpsilon {@code layer_norm_epsilon} (GPT-2, T5)
 * @param ropeTheta {@code rope_theta}
 * @param ropeScaling {@code rope_scaling}
 * @param tieWordEmbeddings {@code tie_word_embeddings}
 * @param slidingWindow {@code sliding_window}
 * @param attentionBias {@code attention_bias}
 * @param hiddenAct {@code hidden_act}
 * @param bosTokenIds {@code bos_token_id}, one id or a list
 * @param eosTokenIds {@code eos_token_id}, one id or a list
 * @param padTokenId {@code pad_token_id}
 * @param torchDtype {@code torch_dtype} (or the newer {@code dtype})
 * @param typeVocabSize {@code type_vocab_size} (BERT segment embeddings)
 * @param gpt2 GPT-2's names
 * @param t5 T5's names
 * @param moe mixture-of-experts fields
 * @param mla DeepSeek latent-attention fields
 * @param raw the whole document
 */
public record HfModelConfig(Path file, String modelType, List<String> architectures, Integer hiddenSize,
        Integer intermediateSize, Integer numHiddenLayers, Integer numAttentionHeads, Integer numKeyValueHeads,
        Integer headDim, Integer vocabSize, Integer maxPositionEmbeddings, Double rmsNormEps, Double layerNormEps,
        Double layerNormEpsilon, Double ropeTheta, HfRopeScaling ropeScaling, Boolean tieWordEmbeddings,
        Integer slidingWindow, Boolean attentionBias, String hiddenAct, List<Integer> bosTokenIds,
        List<Integer> eosTokenIds, Integer padTokenId, String torchDtype, Integer typeVocabSize, HfGpt2Fields gpt2,
        HfT5Fields t5, HfMoeFields moe, HfMlaFields mla, JsonNode raw) {

    /** The {@code model_type} values whose fields this record is known to cover. */
    public static final Set<String> KNOWN_MODEL_TYPES = Set.of("llama", "mistral", "qwen2", "qwen3", "gpt2", "bert",
            "t5", "mixtral", "qwen2_moe", "deepseek", "deepseek_v2", "deepseek_v3");

    /**
     * Reads a {@code config.json}.
     *
     * @throws FormatException naming the file and the field when the JSON is malformed, {@code model_type}
     *     is missing, a field has the wrong type, a size is not positive, or the key/value heads do not
     *     divide the heads
     */
    public static HfModelConfig read(Path file) throws IOException {
        return parse(JsonFields.read(file));
    }

    /** Reads an already parsed {@code config.json} document; {@code file} only names it in errors. */
    public static HfModelConfig of(Path file, JsonNode root) throws FormatException {
        return parse(JsonFields.of(file, root));
    }

    private static HfModelConfig parse(JsonFields f) throws FormatException {
        String modelType = f.string("model_type");
        if (modelType == null) {
            throw f.invalid("model_type", "missing: every config.json names its model_type");
        }
        JsonFields scaling = f.object("rope_scaling");
        String dtype = f.string("torch_dtype");
        if (dtype == null) {
            dtype = f.string("dtype");
        }
        HfModelConfig c = new HfModelConfig(f.file(), modelType, f.strings("architectures"), f.integer("hidden_size"),
                f.integer("intermediate_size"), f.integer("num_hidden_layers"), f.integer("num_attention_heads"),
                f.integer("num_key_value_heads"), f.integer("head_dim"), f.integer("vocab_size"),
                f.integer("max_position_embeddings"), f.number("rms_norm_eps"), f.number("layer_norm_eps"),
                f.number("layer_norm_epsilon"), f.number("rope_theta"),
                scaling == null ? null : HfRopeScaling.read(scaling), f.bool("tie_word_embeddings"),
                f.integer("sliding_window"), f.bool("attention_bias"), f.string("hidden_act"), f.ids("bos_token_id"),
                f.ids("eos_token_id"), f.integer("pad_token_id"), dtype, f.integer("type_vocab_size"),
                HfGpt2Fields.read(f), HfT5Fields.read(f), HfMoeFields.read(f), HfMlaFields.read(f), f.node());
        c.validate(f);
        return c;
    }

    private void validate(JsonFields f) throws FormatException {
        String[] positive = {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings", "n_embd", "n_layer", "n_head",
            "n_positions", "n_inner", "d_model", "d_ff", "d_kv", "num_layers", "num_heads", "num_local_experts",
            "num_experts", "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size"};
        for (String name : positive) {
            Integer v = f.integer(name);
            if (v != null && v <= 0) {
                throw f.invalid(name, "must be positive, is " + v);
            }
        }
        OptionalInt heads = heads();
        if (numKeyValueHeads != null && heads.isPresent() && heads.getAsInt() % numKeyValueHeads != 0) {
            throw f.invalid("num_key_value_heads", numKeyValueHeads + " key/value heads do not divide "
                    + heads.getAsInt() + " attention heads");
        }
        if (headDim == null && heads.isPresent() && width().isPresent() && width().getAsInt() % heads.getAsInt() != 0
                && !"t5".equals(modelType)) {
            throw f.invalid("num_attention_heads", heads.getAsInt() + " heads do not divide the width "
                    + width().getAsInt() + " and there is no head_dim");
        }
        Integer perTok = moe.numExpertsPerTok();
        Integer experts = moe.expertCount();
        if (perTok != null && experts != null && perTok > experts) {
            throw f.invalid("num_experts_per_tok", perTok + " experts per token but only " + experts + " experts");
        }
    }

    private static OptionalInt first(Integer... values) {
        for (Integer v : values) {
            if (v != null) {
                return OptionalInt.of(v);
            }
        }
        return OptionalInt.empty();
    }

    /** Whether {@link #modelType()} is one of {@link #KNOWN_MODEL_TYPES}. */
    public boolean isKnownModelType() {
        return KNOWN_MODEL_TYPES.contains(modelType);
    }

    /** Model width: {@code hidden_size}, {@code n_embd} or {@code d_model}. */
    public OptionalInt width() {
        return first(hiddenSize, gpt2.nEmbd(), t5.dModel());
    }

    /** Transformer blocks (the encoder's for T5): {@code num_hidden_layers}, {@code n_layer} or {@code num_layers}. */
    public OptionalInt layers() {
        return first(numHiddenLayers, gpt2.nLayer(), t5.numLayers());
    }

    /** Attention heads: {@code num_attention_heads}, {@code n_head} or {@code num_heads}. */
    public OptionalInt heads() {
        return first(numAttentionHeads, gpt2.nHead(), t5.numHeads());
    }

    /** Key/value heads: {@code num_key_value_heads}, else as many as {@link #heads()}. */
    public OptionalInt kvHeads() {
        return numKeyValueHeads != null ? OptionalInt.of(numKeyValueHeads) : heads();
    }

    /** Width of one head: {@code head_dim}, T5's {@code d_kv}, else width / heads. */
    public OptionalInt headSize() {
        OptionalInt explicit = first(headDim, t5.dKv());
        if (explicit.isPresent() || width().isEmpty() || heads().isEmpty()) {
            return explicit;
        }
        return OptionalInt.of(width().getAsInt() / heads().getAsInt());
    }

    /** Feed-forward width: {@code intermediate_size}, {@code n_inner}, {@code d_ff}, or four times the width for GPT-2. */
    public OptionalInt feedForwardWidth() {
        OptionalInt explicit = first(intermediateSize, gpt2.nInner(), t5.dFf());
        if (explicit.isEmpty() && "gpt2".equals(modelType) && width().isPresent()) {
            return OptionalInt.of(4 * width().getAsInt());
        }
        return explicit;
    }

    /** Longest context: {@code max_position_embeddings} or {@code n_positions}. */
    public OptionalInt contextLength() {
        return first(maxPositionEmbeddings, gpt2.nPositions());
    }

    /** Normalisation epsilon: {@code rms_norm_eps}, {@code layer_norm_eps} or {@code layer_norm_epsilon}. */
    public OptionalDouble normEps() {
        for (Double d : new Double[] {rmsNormEps, layerNormEps, layerNormEpsilon}) {
            if (d != null) {
                return OptionalDouble.of(d);
            }
        }
        return OptionalDouble.empty();
    }

    /** Whether the output projection reuses the token embeddings; HF's default is true when the field is absent. */
    public boolean tiesWordEmbeddings() {
        return tieWordEmbeddings == null || tieWordEmbeddings;
    }
}
