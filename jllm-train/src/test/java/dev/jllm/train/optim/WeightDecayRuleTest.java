package dev.jllm.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WeightDecayRuleTest {

    @Test
    void decaysOnlyMatricesOfLinearLayers() {
        WeightDecayRule rule = WeightDecayRule.DEFAULT;
        assertTrue(rule.decays("blk.0.attn_q.weight", 2));
        assertTrue(rule.decays("model.layers.3.mlp.down_proj.weight", 2));
        assertTrue(rule.decays("output.weight", 2));
        assertFalse(rule.decays("blk.0.attn_norm.weight", 1));
        assertFalse(rule.decays("blk.0.attn_q.bias", 1));
        assertFalse(rule.decays("model.norm.weight", 2), "a name with norm, whatever its rank");
        assertFalse(rule.decays("h.0.ln_1.weight", 1), "any 1-D tensor");
        assertFalse(rule.decays("token_embd.weight", 2));
        assertFalse(rule.decays("model.embed_tokens.weight", 2));
        assertFalse(rule.decays("transformer.wte.weight", 2));
        assertFalse(rule.decays("transformer.wpe.weight", 2));
        assertFalse(rule.decays("scalar", 0));
    }

    @Test
    void embeddingsDecayOnlyWhenAsked() {
        WeightDecayRule rule = new WeightDecayRule(true);
        assertTrue(rule.decays("token_embd.weight", 2));
        assertTrue(rule.decays("transformer.wpe.weight", 2));
        assertFalse(rule.decays("blk.0.ffn_norm.weight", 1));
        assertFalse(rule.decays("blk.0.ffn_up.bias", 2));
        Parameter p = rule.parameter("token_embd.weight", new float[6], 2);
        assertTrue(p.decay());
        assertEquals(6, p.grad().length);
        assertThrows(IllegalArgumentException.class, () -> rule.decays("x", -1));
    }

    @Test
    void parameterChecksItsArrays() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Parameter("w", new float[3], new float[2], true));
        assertTrue(e.getMessage().contains("w"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Parameter.of("", new float[1], true));
    }
}
