/**
 * An interpreter for the Jinja2 chat templates of Hugging Face models, rendering as {@code transformers}'
 * {@code apply_chat_template} does (Jinja2 with {@code trim_blocks}, {@code lstrip_blocks}, no autoescaping,
 * Python semantics for values). {@link dev.jllm.formats.template.ChatTemplate} is the entry point;
 * every failure is a {@link dev.jllm.formats.template.TemplateException}.
 */
package dev.jllm.formats.template;
