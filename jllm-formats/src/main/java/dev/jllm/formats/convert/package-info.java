/**
 * Model format conversion ({@code jllm convert}): a Hugging Face folder of the Llama family (llama,
 * mistral, qwen2, qwen3) or of GPT-2, BERT or T5 to GGUF ({@link dev.jllm.formats.convert.HfToGgufConverter}),
 * the inverse ({@link dev.jllm.formats.convert.GgufToHfConverter}), a llama2.c checkpoint to GGUF
 * ({@link dev.jllm.formats.convert.Llama2cToGgufConverter}), and any tokenizer file to GGUF tokenizer metadata
 * ({@link dev.jllm.formats.convert.TokenizerToGguf}, which {@code jllm init --vocab-from} uses). Tensor names, the query/key row order of
 * GGUF's llama rope, hyperparameter keys and the tokenizer follow llama.cpp's {@code convert_hf_to_gguf.py};
 * the tokenizer comes from {@code tokenizer.json}, or for llama and mistral from SentencePiece's
 * {@code tokenizer.model} when the folder has one.
 *
 * <p>What a GGUF → Hugging Face → GGUF round trip keeps: every tensor byte for byte (F32, F16, BF16), the
 * architecture, name, alignment, file type and hyperparameter keys, and {@code tokenizer.ggml.*} model, pre,
 * tokens, token types, merges, scores (rebuilt from the merges; a hand-set score of a single-character
 * piece, such as Llama's {@code ▁}, comes back positional), BOS/EOS/UNK/PAD ids, add_bos/add_eos and chat
 * templates. What it drops: other {@code tokenizer.*} keys (add_space_prefix, eot/eom ids, …), the
 * {@code rope_freqs.weight} of Llama 3 scaling, unused token types (they come back normal) and pre-tokenizer
 * names other than gpt-2, llama-bpe and qwen2 (they come back as gpt-2's split). llama.cpp's bert (WordPiece)
 * and t5 (Unigram) vocabularies travel as WordPiece and Unigram tokenizer.json files.
 */
package dev.jllm.formats.convert;
