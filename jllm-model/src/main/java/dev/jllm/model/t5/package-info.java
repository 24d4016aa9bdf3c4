/**
 * The T5 encoder-decoder family (T5 v1.0 with a ReLU feed-forward network, T5 v1.1 and Flan-T5 with a
 * gated-GELU one): its configuration, weights, forward pass and loading from GGUF files and HF folders.
 */
package dev.jllm.model.t5;
