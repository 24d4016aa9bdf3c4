/**
 * Tokenizers that reproduce Hugging Face tokenizers, llama.cpp and sentencepiece exactly.
 *
 * <p>Entry points: {@link dev.jllm.formats.tokenizer.load.TokenizerLoader#load} for an HF model
 * folder or a tokenizer file, {@link dev.jllm.formats.tokenizer.load.GgufTokenizerMetadata#fromGguf}
 * for a GGUF model. Models: byte-level BPE ({@code bpe}), SentencePiece BPE and Unigram
 * ({@code sentencepiece}), WordPiece ({@code wordpiece}). Every tokenizer is safe to share
 * between threads: encode keeps its word cache in a concurrent map and no other mutable state.
 */
package dev.jllm.formats.tokenizer;
