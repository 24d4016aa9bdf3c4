package dev.jllm.formats.onnx;

import java.util.List;
import java.util.Map;

/**
 * One graph node ({@code NodeProto}): operator, inputs and outputs by value name (an empty input name is an
 * omitted optional input), and attributes by name.
 *
 * @param index the node's position in the graph
 * @param name the node's name (may be empty)
 * @param opType the operator, e.g. {@code MatMul}
 * @param domain the operator set domain; empty for the default ONNX domain
 * @param inputs input value names
 * @param outputs output value names
 * @param attributes attributes by name
 * @param offset byte offset of the node's message in the file
 */
public record OnnxNode(int index, String name, String opType, String domain, List<String> inputs, List<String> outputs,
        Map<String, OnnxAttribute> attributes, long offset) {

    /** The attribute {@code key}, or null. */
    public OnnxAttribute attribute(String key) {
        return attributes.get(key);
    }

    /** The int attribute {@code key}, or {@code fallback} when absent. */
    public long intAttribute(String key, long fallback) {
        OnnxAttribute a = attributes.get(key);
        return a == null ? fallback : a.i();
    }

    /** Input {@code i}, or the empty string when the node has fewer inputs. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    /** The first output, or the empty string when it has none. */
    public String output() {
        return outputs.isEmpty() ? "" : outputs.get(0);
    }

    /** How messages name it: {@code MatMul node "/encoder/layer.0/…/MatMul"} (or its index when unnamed). */
    public String describe() {
        String op = domain.isEmpty() || domain.equals("ai.onnx") ? opType : opType + " (" + domain + ")";
        return op + " node " + (name.isEmpty() ? "#" + index : "\"" + name + "\"");
    }
}
