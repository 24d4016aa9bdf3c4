package dev.jllm.formats.template;

import java.util.LinkedHashMap;
import java.util.Map;

/** The object {@code namespace(...)} makes: attributes that {@code {% set ns.x = ... %}} may change from inside loops. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
