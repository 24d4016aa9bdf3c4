/**
 * Binding model files to definitions: GGUF (llama.cpp's tensor names and metadata keys), llama2.c
 * checkpoints, and HF folders, each read into a {@link dev.jllm.model.ModelConfig} and weight views for the
 * decoder ({@link dev.jllm.model.load.LoadedModel}) or an {@link dev.jllm.model.encoder.EncoderConfig} and
 * weight views for the BERT-family encoder ({@link dev.jllm.model.load.LoadedEncoder}).
 */
package dev.jllm.model.load;
