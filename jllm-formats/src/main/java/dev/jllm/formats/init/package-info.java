/**
 * Randomly initialised models as GGUF files: {@link dev.jllm.formats.init.Architecture} holds one table of
 * llama.cpp tensor names, symbolic shapes and constant metadata per architecture,
 * {@link dev.jllm.formats.init.ModelPreset} the shapes of known models, and
 * {@link dev.jllm.formats.init.RandomModelWriter} streams the values to the file.
 */
package dev.jllm.formats.init;
