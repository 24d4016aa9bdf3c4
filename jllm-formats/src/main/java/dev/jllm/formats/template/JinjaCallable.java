package dev.jllm.formats.template;

import java.util.List;
import java.util.Map;

/** Anything a template can call: globals such as {@code range}, bound methods, macros, {@code caller}. */
@FunctionalInterface
interface JinjaCallable {
    /** Calls with positional {@code args} and keyword {@code kwargs}. */
    Object call(List<Object> args, Map<String, Object> kwargs);
}
