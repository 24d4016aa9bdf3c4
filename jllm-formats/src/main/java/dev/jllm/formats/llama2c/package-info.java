/** Karpathy's llama2.c float32 checkpoints ({@code run.c} format), mapped in place. */
package dev.jllm.formats.llama2c;
