/**
 * Re-quantizing GGUF files: {@link dev.jllm.formats.quantize.GgufQuantizer} streams every tensor through
 * dequantization and quantization row by row, {@link dev.jllm.formats.quantize.TensorTypeChooser} picks each
 * tensor's type as llama.cpp's llama-quantize does, and {@link dev.jllm.formats.quantize.LlamaFileType} names
 * the {@code general.file_type} values. Only GGML types are written, so the files load in llama.cpp.
 */
package dev.jllm.formats.quantize;
