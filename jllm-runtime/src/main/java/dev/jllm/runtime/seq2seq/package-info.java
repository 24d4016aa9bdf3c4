/** Generation with encoder-decoder models (T5): encode the input once, then decode token by token. */
package dev.jllm.runtime.seq2seq;
