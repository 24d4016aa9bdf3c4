package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph's data flow for pattern matching: which node produces each value, which nodes consume it, which values are
 * constants (initializers, {@code Constant} nodes, an {@code Identity} of either) and which are graph inputs; plus
 * the record of nodes already placed, so that no node is matched twice (which also ends walks around cycles).
 */
final class GraphIndex {
    private final Path file;
    private final OnnxGraph graph;
    private final Map<String, OnnxNode> producers = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();
    private final Set<String> inputs = new HashSet<>();
    private final boolean[] placed;

    GraphIndex(OnnxModel model) throws FormatException {
        this.file = model.path();
        this.graph = model.graph();
        this.placed = new boolean[graph.nodes().size()];
        for (OnnxNode n : graph.nodes()) {
            for (String out : n.outputs()) {
                if (out.isEmpty()) {
                    continue;
                }
                OnnxNode before = producers.putIfAbsent(out, n);
                if (before != null || graph.initializers().containsKey(out)) {
                    throw error(n, "its output \"" + out + "\" is already produced by "
                            + (before != null ? before.describe() : "an initializer"));
                }
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    List<OnnxNode> list = consumers.computeIfAbsent(in, k -> new ArrayList<>());
                    if (!list.contains(n)) {
                        list.add(n);
                    }
                }
            }
        }
        for (OnnxValueInfo v : graph.inputs()) {
            if (!graph.initializers().containsKey(v.name())) {
                inputs.add(v.name());
            }
        }
    }

    OnnxGraph graph() {
        return graph;
    }

    /** The node producing {@code value}, or null (graph inputs, initializers, unknown names). */
    OnnxNode producer(String value) {
        return producers.get(value);
    }

    /** All nodes reading {@code value}. */
    List<OnnxNode> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** The nodes reading {@code value} for more than its shape: {@code Shape} nodes only feed shape arithmetic. */
    List<OnnxNode> dataConsumers(String value) {
        List<OnnxNode> out = new ArrayList<>();
        for (OnnxNode n : consumers(value)) {
            if (!n.opType().equals("Shape")) {
                out.add(n);
            }
        }
        return out;
    }

    /** Whether {@code value} is a graph input (not an initializer). */
    boolean isGraphInput(String value) {
        return inputs.contains(value);
    }

    /** The initializer called {@code value}, or null. */
    OnnxTensor initializer(String value) {
        return graph.initializers().get(value);
    }

    /** The constant tensor {@code value} holds, or null when it is computed at run time. */
    OnnxTensor constant(String value) {
        for (int hops = 0; hops < 8; hops++) {
            OnnxTensor init = graph.initializers().get(value);
            if (init != null) {
                return init.hasData() ? init : null;
            }
            OnnxNode p = producers.get(value);
            if (p == null) {
                return null;
            }
            if (p.opType().equals("Identity") && p.domain().isEmpty()) {
                value = p.input(0);
                continue;
            }
            return p.opType().equals("Constant") && p.domain().isEmpty() ? constantNodeValue(p) : null;
        }
        return null;
    }

    /** The single number a constant holds (any rank with one element), or null. */
    Double scalar(String value) {
        OnnxTensor t = constant(value);
        if (t == null || t.elementCount() != 1 || !(t.type().isWeightFloat() || t.type() == OnnxDataType.DOUBLE
                || t.type().isInteger())) {
            return null;
        }
        return t.number(0);
    }

    private static OnnxTensor constantNodeValue(OnnxNode n) {
        OnnxAttribute a = n.attribute("value");
        if (a != null && a.t() != null) {
            return a.t().hasData() ? a.t() : null;
        }
        if ((a = n.attribute("value_float")) != null) {
            return floats(new float[] {a.f()}, new long[0], n);
        }
        if ((a = n.attribute("value_floats")) != null) {
            return floats(a.floats(), new long[] {a.floats().length}, n);
        }
        if ((a = n.attribute("value_int")) != null) {
            return longs(new long[] {a.i()}, new long[0], n);
        }
        if ((a = n.attribute("value_ints")) != null) {
            return longs(a.ints(), new long[] {a.ints().length}, n);
        }
        return null;
    }

    private static OnnxTensor floats(float[] v, long[] dims, OnnxNode n) {
        return new OnnxTensor("", OnnxDataType.FLOAT, dims, MemorySegment.ofArray(v.clone()), n.offset());
    }

    private static OnnxTensor longs(long[] v, long[] dims, OnnxNode n) {
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * 8]);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_LONG_UNALIGNED, 0, v.length);
        return new OnnxTensor("", OnnxDataType.INT64, dims, s, n.offset());
    }

    /** Whether {@code n} has been placed. */
    boolean isPlaced(OnnxNode n) {
        return placed[n.index()];
    }

    /** Marks {@code n} as placed; a node placed twice means the graph loops back on itself. */
    void place(OnnxNode n) throws FormatException {
        if (placed[n.index()]) {
            throw error(n, "is reached twice while following the encoder (the graph loops)");
        }
        placed[n.index()] = true;
    }

    /** An error about {@code n}, naming its operator and name (about the graph when {@code n} is null). */
    FormatException error(OnnxNode n, String problem) {
        return n == null ? error(problem) : new FormatException(file, n.offset(), n.describe(), problem);
    }

    /** An error about the graph as a whole. */
    FormatException error(String problem) {
        return new FormatException(file, -1, "graph", problem);
    }
}
