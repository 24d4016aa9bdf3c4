/**
 * Sentence embeddings from a BERT-family encoder: tokenize, truncate to the model's length, encode in
 * padded-free batches, pool (mean, CLS, last) and optionally L2-normalise. The call behind the server's
 * {@code /v1/embeddings}, RAG indexing and {@code jllm embed}.
 */
package dev.jllm.runtime.embed;
