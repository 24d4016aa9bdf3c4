/**
 * Byte-level BPE tokenizer training (GPT-2 style): word counts, the merge loop, and the Hugging Face
 * {@code tokenizer.json} it is saved as.
 */
package dev.jllm.train.data.bpe;
