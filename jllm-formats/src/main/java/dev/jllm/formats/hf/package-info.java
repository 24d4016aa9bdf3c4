/**
 * The JSON files of a Hugging Face model folder: {@code config.json} ({@link dev.jllm.formats.hf.HfModelConfig}),
 * {@code generation_config.json} ({@link dev.jllm.formats.hf.HfGenerationConfig}) and
 * {@code tokenizer_config.json} ({@link dev.jllm.formats.hf.HfTokenizerConfig}). Fields keep the files'
 * names; a field of the wrong type is a {@link dev.jllm.formats.FormatException} naming file and field.
 */
package dev.jllm.formats.hf;
