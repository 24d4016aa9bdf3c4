package dev.jllm.formats.onnx;

import java.util.List;
import java.util.Map;

/**
 * The main graph of an ONNX model ({@code GraphProto}): nodes in file order, initializers by name, and the graph's
 * inputs and outputs.
 *
 * @param name the graph's name
 * @param nodes the nodes
 * @param initializers the initializer tensors by name, in file order
 * @param inputs the graph inputs (some exporters also list initializers here)
 * @param outputs the graph outputs
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers,
        List<OnnxValueInfo> inputs, List<OnnxValueInfo> outputs) {
}
