package dev.jllm.formats.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json files as the real models ship them (values copied from the published configs). */
class HfModelConfigTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, json);
        return f;
    }

    private HfModelConfig read(String json) throws IOException {
        return HfModelConfig.read(write(json));
    }

    @Test
    void llama32OneB() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
                 "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu",
                 "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
                 "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
                 "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1,
                 "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0,
                 "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                 "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
                 "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256}
                """);
        assertEquals("llama", c.modelType());
        assertTrue(c.isKnownModelType());
        assertEquals(List.of("LlamaForCausalLM"), c.architectures());
        assertEquals(2048, c.width().getAsInt());
        assertEquals(8192, c.feedForwardWidth().getAsInt());
        assertEquals(16, c.layers().getAsInt());
        assertEquals(32, c.heads().getAsInt());
        assertEquals(8, c.kvHeads().getAsInt());
        assertEquals(64, c.headSize().getAsInt());
        assertEquals(128256, c.vocabSize());
        assertEquals(131072, c.contextLength().getAsInt());
        assertEquals(1e-5, c.normEps().getAsDouble());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new HfRopeScaling("llama3", 32.0, 1.0, 4.0, 8192, c.ropeScaling().raw()), c.ropeScaling());
        assertTrue(c.tiesWordEmbeddings());
        assertFalse(c.attentionBias());
        assertEquals("silu", c.hiddenAct());
        assertEquals(List.of(128000), c.bosTokenIds());
        assertEquals(List.of(128001), c.eosTokenIds());
        assertEquals("bfloat16", c.torchDtype());
        assertNull(c.moe().expertCount());
        assertEquals(1, c.raw().get("pretraining_tp").intValue());
    }

    @Test
    void qwen25HalfB() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
                 "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
                 "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
                 "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
                 "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true, "use_mrope": false,
                 "use_sliding_window": false, "vocab_size": 151936}
                """);
        assertEquals(64, c.headSize().getAsInt());
        assertEquals(2, c.kvHeads().getAsInt());
        assertEquals(32768, c.slidingWindow());
        assertNull(c.ropeScaling());
        assertNull(c.attentionBias());
        assertFalse(c.raw().get("use_sliding_window").booleanValue());
    }

    @Test
    void qwen3WithHeadDimNotWidthOverHeads() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "head_dim": 128, "hidden_size": 1024,
                 "intermediate_size": 3072, "model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28,
                 "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000,
                 "sliding_window": null, "tie_word_embeddings": true, "vocab_size": 151936}
                """);
        assertEquals(128, c.headSize().getAsInt());
        assertNull(c.slidingWindow());
        assertNull(c.ropeScaling());
        assertEquals(1e6, c.ropeTheta());
    }

    @Test
    void gpt2() throws IOException {
        HfModelConfig c = read("""
                {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
                 "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
                 "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
                 "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
                 "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
                 "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true,
                 "max_length": 50}}, "vocab_size": 50257}
                """);
        assertEquals(new HfGpt2Fields(768, 12, 12, 1024, null, "gelu_new"), c.gpt2());
        assertEquals(768, c.width().getAsInt());
        assertEquals(12, c.layers().getAsInt());
        assertEquals(12, c.kvHeads().getAsInt());
        assertEquals(64, c.headSize().getAsInt());
        assertEquals(3072, c.feedForwardWidth().getAsInt());
        assertEquals(1024, c.contextLength().getAsInt());
        assertEquals(1e-5, c.normEps().getAsDouble());
        assertNull(c.hiddenSize());
    }

    @Test
    void bertBase() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1,
                 "gradient_checkpointing": false, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768,
                 "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-12,
                 "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
                 "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
                 "transformers_version": "4.6.0.dev0", "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522}
                """);
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals(1e-12, c.normEps().getAsDouble());
        assertEquals(0, c.padTokenId());
        assertEquals(List.of(), c.eosTokenIds());
        assertEquals("absolute", c.raw().get("position_embedding_type").asText());
    }

    @Test
    void t5Small() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["T5ForConditionalGeneration"], "d_ff": 2048, "d_kv": 64, "d_model": 512,
                 "decoder_start_token_id": 0, "dropout_rate": 0.1, "eos_token_id": 1, "initializer_factor": 1.0,
                 "is_encoder_decoder": true, "layer_norm_epsilon": 1e-06, "model_type": "t5", "n_positions": 512,
                 "num_heads": 8, "num_layers": 6, "output_past": true, "pad_token_id": 0,
                 "relative_attention_num_buckets": 32, "task_specific_params": {"summarization": {"prefix":
                 "summarize: "}}, "vocab_size": 32128}
                """);
        assertEquals(new HfT5Fields(512, 2048, 64, 6, null, 8, 32, null, null, 0), c.t5());
        assertEquals(512, c.width().getAsInt());
        assertEquals(2048, c.feedForwardWidth().getAsInt());
        assertEquals(6, c.layers().getAsInt());
        assertEquals(8, c.heads().getAsInt());
        assertEquals(64, c.headSize().getAsInt());
        assertEquals(1e-6, c.normEps().getAsDouble());
        assertEquals("summarize: ", c.raw().at("/task_specific_params/summarization/prefix").asText());
    }

    @Test
    void mixtral() throws IOException {
        HfModelConfig c = read("""
                {"architectures": ["MixtralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1,
                 "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
                 "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mixtral",
                 "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8,
                 "num_local_experts": 8, "output_router_logits": false, "rms_norm_eps": 1e-05, "rope_theta": 1e6,
                 "router_aux_loss_coef": 0.02, "sliding_window": null, "tie_word_embeddings": false,
                 "torch_dtype": "bfloat16", "transformers_version": "4.36.0.dev0", "use_cache": true, "vocab_size": 32000}
                """);
        assertEquals(8, c.moe().expertCount());
        assertEquals(2, c.moe().numExpertsPerTok());
        assertEquals(0.02, c.moe().routerAuxLossCoef());
        assertFalse(c.tiesWordEmbeddings());
        assertNull(c.slidingWindow());
    }

    @Test
    void qwen2MoeAndDeepseekV2() throws IOException {
        HfModelConfig q = read("""
                {"model_type": "qwen2_moe", "hidden_size": 2048, "num_attention_heads": 16, "num_key_value_heads": 16,
                 "num_hidden_layers": 24, "num_experts": 60, "num_experts_per_tok": 4, "moe_intermediate_size": 1408,
                 "shared_expert_intermediate_size": 5632, "norm_topk_prob": false, "intermediate_size": 5632,
                 "vocab_size": 151936}
                """);
        assertEquals(60, q.moe().expertCount());
        assertEquals(5632, q.moe().sharedExpertIntermediateSize());
        assertFalse(q.moe().normTopkProb());
        HfModelConfig d = read("""
                {"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "hidden_size": 2048,
                 "intermediate_size": 10944, "moe_intermediate_size": 1408, "n_routed_experts": 64,
                 "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1,
                 "kv_lora_rank": 512, "q_lora_rank": null, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
                 "v_head_dim": 128, "num_attention_heads": 16, "num_key_value_heads": 16, "num_hidden_layers": 27,
                 "routed_scaling_factor": 1.0, "topk_method": "greedy", "rope_scaling": {"type": "yarn",
                 "factor": 40, "beta_fast": 32, "original_max_position_embeddings": 4096}, "vocab_size": 102400,
                 "bos_token_id": 100000, "eos_token_id": 100001}
                """);
        assertEquals(64, d.moe().expertCount());
        assertEquals(2, d.moe().nSharedExperts());
        assertEquals(1, d.moe().firstKDenseReplace());
        assertEquals(new HfMlaFields(512, null, 64, 128, 128), d.mla());
        assertEquals("yarn", d.ropeScaling().type());
        assertEquals(40.0, d.ropeScaling().factor());
        assertEquals(32, d.ropeScaling().raw().get("beta_fast").intValue());
        assertEquals("greedy", d.raw().get("topk_method").asText());
    }

    @Test
    void eosAsListAndUnknownModelTypeKept() throws IOException {
        HfModelConfig c = read("""
                {"model_type": "gemma3_text", "eos_token_id": [1, 106], "hidden_size": 640, "num_attention_heads": 4,
                 "head_dim": 256, "some_new_field": {"x": 1}}
                """);
        assertEquals(List.of(1, 106), c.eosTokenIds());
        assertFalse(c.isKnownModelType());
        assertEquals(1, c.raw().at("/some_new_field/x").intValue());
    }

    private FormatException refused(String json) throws IOException {
        Path f = write(json);
        FormatException e = assertThrows(FormatException.class, () -> HfModelConfig.read(f));
        assertEquals(f, e.file());
        return e;
    }

    @Test
    void wrongTypesNameTheField() throws IOException {
        assertEquals("hidden_size", refused("{\"model_type\": \"llama\", \"hidden_size\": \"2048\"}").field());
        assertEquals("hidden_size", refused("{\"model_type\": \"llama\", \"hidden_size\": 20.5}").field());
        assertEquals("hidden_size", refused("{\"model_type\": \"llama\", \"hidden_size\": 1e20}").field());
        assertEquals("rms_norm_eps", refused("{\"model_type\": \"llama\", \"rms_norm_eps\": \"1e-5\"}").field());
        assertEquals("tie_word_embeddings", refused("{\"model_type\": \"llama\", \"tie_word_embeddings\": 1}").field());
        assertEquals("eos_token_id", refused("{\"model_type\": \"llama\", \"eos_token_id\": [1, \"2\"]}").field());
        assertEquals("architectures", refused("{\"model_type\": \"llama\", \"architectures\": [3]}").field());
        assertEquals("rope_scaling", refused("{\"model_type\": \"llama\", \"rope_scaling\": 8}").field());
        assertEquals("rope_scaling.factor",
                refused("{\"model_type\": \"llama\", \"rope_scaling\": {\"factor\": \"x\"}}").field());
        assertEquals("model_type", refused("{\"model_type\": 7}").field());
        assertEquals("model_type", refused("{\"hidden_size\": 7}").field());
    }

    @Test
    void impossibleValuesNameTheField() throws IOException {
        assertEquals("num_hidden_layers", refused("{\"model_type\": \"llama\", \"num_hidden_layers\": 0}").field());
        assertEquals("num_key_value_heads", refused(
                "{\"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_key_value_heads\": 5}").field());
        assertEquals("num_attention_heads", refused(
                "{\"model_type\": \"llama\", \"hidden_size\": 100, \"num_attention_heads\": 32}").field());
        assertEquals("num_experts_per_tok", refused(
                "{\"model_type\": \"mixtral\", \"num_local_experts\": 2, \"num_experts_per_tok\": 3}").field());
    }

    @Test
    void malformedJsonAndMissingFile() throws IOException {
        assertEquals("", refused("{\"model_type\": \"llama\",").field());
        assertEquals("", refused("[1, 2]").field());
        assertEquals("", refused("{\"model_type\": \"llama\"} trailing").field());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> HfModelConfig.read(dir.resolve("absent.json")));
    }
}
