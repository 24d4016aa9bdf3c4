/**
 * Binding model files to definitions: GGUF (llama.cpp's tensor names and metadata keys), llama2.c
 * checkpoints, and HF folders, each read into a {@link dev.jllm.model.ModelConfig} and weight views.
 */
package dev.jllm.model.load;
