package dev.jllm.formats.convert;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The correspondence between Hugging Face tensor names of the Llama family (llama, mistral, qwen2,
 * qwen3) and llama.cpp's GGUF names, both ways.
 */
final class HfTensorNames {
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");
    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"));

    private HfTensorNames() {
    }

    /** The GGUF name of Hugging Face tensor {@code hf}, or null when it has none. */
    static String toGguf(String hf) {
        String g = GLOBAL.get(hf);
        if (g != null) {
            return g;
        }
        Matcher m = HF_LAYER.matcher(hf);
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(2);
        int dot = rest.lastIndexOf('.');
        if (dot < 0) {
            return null;
        }
        String part = LAYER.get(rest.substring(0, dot));
        String kind = rest.substring(dot + 1);
        if (part == null || !(kind.equals("weight") || kind.equals("bias"))) {
            return null;
        }
        return "blk." + m.group(1) + "." + part + "." + kind;
    }

    /** The Hugging Face name of GGUF tensor {@code gguf}, or null when it has none. */
    static String toHf(String gguf) {
        for (Map.Entry<String, String> e : GLOBAL.entrySet()) {
            if (e.getValue().equals(gguf)) {
                return e.getKey();
            }
        }
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(2);
        int dot = rest.lastIndexOf('.');
        if (dot < 0) {
            return null;
        }
        String part = rest.substring(0, dot);
        for (Map.Entry<String, String> e : LAYER.entrySet()) {
            if (e.getValue().equals(part)) {
                return "model.layers." + m.group(1) + "." + e.getKey() + rest.substring(dot);
            }
        }
        return null;
    }

    /** Whether the GGUF tensor is a query projection weight or bias (permuted with the head count). */
    static boolean isQuery(String gguf) {
        return gguf.endsWith(".attn_q.weight") || gguf.endsWith(".attn_q.bias");
    }

    /** Whether the GGUF tensor is a key projection weight or bias (permuted with the key/value head count). */
    static boolean isKey(String gguf) {
        return gguf.endsWith(".attn_k.weight") || gguf.endsWith(".attn_k.bias");
    }
}
