/**
 * Model definitions: one configurable decoder for the Llama, Mistral, Qwen2/3 and GPT-2 families,
 * bound to the tensors of a GGUF file, an HF folder or a llama2.c checkpoint without copying them.
 */
package dev.jllm.model;
