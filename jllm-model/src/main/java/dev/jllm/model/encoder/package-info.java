/**
 * The BERT-family encoder (BERT, all-MiniLM, BGE, E5): its config, weights, packed batches, forward
 * pass and sentence pooling. Files are bound to it by {@link dev.jllm.model.load.LoadedEncoder}.
 */
package dev.jllm.model.encoder;
