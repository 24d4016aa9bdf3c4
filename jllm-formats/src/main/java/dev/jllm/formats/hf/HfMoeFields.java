package dev.jllm.formats.hf;

import dev.jllm.formats.FormatException;

/**
 * Mixture-of-experts hyperparameters of a {@code config.json} (Mixtral, Qwen2-MoE, DeepSeek); each is
 * null when absent.
 *
 * @param numLocalExperts experts per layer, Mixtral's name
 * @param numExperts experts per layer, Qwen2-MoE's name
 * @param nRoutedExperts routed experts per layer, DeepSeek's name
 * @param numExpertsPerTok experts each token is routed to
 * @param moeIntermediateSize feed-forward width of one expert
 * @param sharedExpertIntermediateSize feed-forward width of the shared expert (Qwen2-MoE)
 * @param nSharedExperts always-active experts (DeepSeek)
 * @param firstKDenseReplace leading layers with a dense feed-forward block instead of experts (DeepSeek)
 * @param moeLayerFreq every how many layers an MoE block appears (DeepSeek)
 * @param normTopkProb whether the chosen experts' weights are renormalised to sum to one
 * @param routedScalingFactor factor on the routed experts' output (DeepSeek)
 * @param routerAuxLossCoef load-balancing loss weight (training only)
 */
public record HfMoeFields(Integer numLocalExperts, Integer numExperts, Integer nRoutedExperts, Integer numExpertsPerTok,
        Integer moeIntermediateSize, Integer sharedExpertIntermediateSize, Integer nSharedExperts,
        Integer firstKDenseReplace, Integer moeLayerFreq, Boolean normTopkProb, Double routedScalingFactor,
        Double routerAuxLossCoef) {

    static HfMoeFields read(JsonFields f) throws FormatException {
        return new HfMoeFields(f.integer("num_local_experts"), f.integer("num_experts"), f.integer("n_routed_experts"),
                f.integer("num_experts_per_tok"), f.integer("moe_intermediate_size"),
                f.integer("shared_expert_intermediate_size"), f.integer("n_shared_experts"),
                f.integer("first_k_dense_replace"), f.integer("moe_layer_freq"), f.bool("norm_topk_prob"),
                f.number("routed_scaling_factor"), f.number("router_aux_loss_coef"));
    }

    /** Experts per MoE layer under whichever name the family uses, or null for a dense model. */
    public Integer expertCount() {
        return numLocalExperts != null ? numLocalExperts : numExperts != null ? numExperts : nRoutedExperts;
    }
}
