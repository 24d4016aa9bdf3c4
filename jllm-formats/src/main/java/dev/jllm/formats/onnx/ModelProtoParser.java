package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the parts of ONNX's {@code ModelProto} that weight import needs: IR version, producer, opset imports and the
 * main graph (nodes with attributes, initializers, inputs and outputs). Unknown fields are skipped, as protobuf
 * readers do; doc strings, value_info and metadata are skipped too.
 */
final class ModelProtoParser {
    // attribute lists are shapes, axes and small constants; the cap bounds what a corrupt length can make us decode
    private static final int MAX_LIST = 1 << 20;
    private final MemorySegment data;
    private final Path file;
    private final TensorProtoParser tensors;

    ModelProtoParser(MemorySegment data, Path file, ExternalTensorFiles external) {
        this.data = data;
        this.file = file;
        this.tensors = new TensorProtoParser(external);
    }

    /** The fields of the model read here. */
    record Parsed(long irVersion, String producer, Map<String, Long> opsets, OnnxGraph graph) {
    }

    Parsed parse() throws FormatException {
        if (data.byteSize() == 0) {
            throw new FormatException(file, 0, "ModelProto", "the file is empty");
        }
        ProtoReader r = new ProtoReader(data, file, "model", 0, data.byteSize());
        long ir = 0;
        String producer = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        OnnxGraph graph = null;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> {
                    r.expect(ProtoReader.VARINT, "ir_version");
                    ir = r.varint();
                }
                case 2 -> producer = r.string("producer_name");
                case 7 -> {
                    if (graph != null) {
                        throw r.error("graph", "appears twice");
                    }
                    graph = graph(r.message("graph"));
                }
                case 8 -> opset(r.message("opset_import"), opsets);
                default -> r.skip();
            }
        }
        if (graph == null) {
            throw new FormatException(file, 0, "model.graph", "is missing: not an ONNX model");
        }
        return new Parsed(ir, producer, Collections.unmodifiableMap(opsets), graph);
    }

    private static void opset(ProtoReader r, Map<String, Long> out) throws FormatException {
        String domain = "";
        long version = 0;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> domain = r.string("domain");
                case 2 -> {
                    r.expect(ProtoReader.VARINT, "version");
                    version = r.varint();
                }
                default -> r.skip();
            }
        }
        out.put(domain.equals("ai.onnx") ? "" : domain, version);
    }

    private OnnxGraph graph(ProtoReader r) throws FormatException {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        List<OnnxValueInfo> inputs = new ArrayList<>();
        List<OnnxValueInfo> outputs = new ArrayList<>();
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> nodes.add(node(r.message("node[" + nodes.size() + "]"), nodes.size()));
                case 2 -> name = r.string("name");
                case 5 -> {
                    long at = r.tagOffset();
                    OnnxTensor t = tensors.parse(r.message("initializer[" + initializers.size() + "]"));
                    if (t.name().isEmpty()) {
                        throw r.errorAt(at, r.path() + ".initializer[" + initializers.size() + "].name", "is empty");
                    }
                    if (initializers.putIfAbsent(t.name(), t) != null) {
                        throw r.errorAt(at, r.path() + ".initializer", "name \"" + t.name() + "\" is used twice");
                    }
                }
                case 11 -> inputs.add(valueInfo(r.message("input[" + inputs.size() + "]")));
                case 12 -> outputs.add(valueInfo(r.message("output[" + outputs.size() + "]")));
                case 15 -> throw r.error("sparse_initializer", "sparse initializers are not supported");
                default -> r.skip();
            }
        }
        return new OnnxGraph(name, List.copyOf(nodes), Collections.unmodifiableMap(initializers), List.copyOf(inputs),
                List.copyOf(outputs));
    }

    private OnnxNode node(ProtoReader r, int index) throws FormatException {
        long at = r.start();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String op = "";
        String domain = "";
        Map<String, OnnxAttribute> attributes = new LinkedHashMap<>();
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> inputs.add(r.string("input"));
                case 2 -> outputs.add(r.string("output"));
                case 3 -> name = r.string("name");
                case 4 -> op = r.string("op_type");
                case 5 -> {
                    long tag = r.tagOffset();
                    OnnxAttribute a = attribute(r.message("attribute[" + attributes.size() + "]"));
                    if (attributes.putIfAbsent(a.name(), a) != null) {
                        throw r.errorAt(tag, r.path() + ".attribute", "\"" + a.name() + "\" appears twice");
                    }
                }
                case 7 -> domain = r.string("domain");
                default -> r.skip();
            }
        }
        if (op.isEmpty()) {
            throw r.errorAt(at, r.path() + ".op_type", "is missing");
        }
        return new OnnxNode(index, name, op, domain, List.copyOf(inputs), List.copyOf(outputs),
                Collections.unmodifiableMap(attributes), at);
    }

    private OnnxAttribute attribute(ProtoReader r) throws FormatException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        OnnxTensor t = null;
        FloatList floats = new FloatList();
        LongList ints = new LongList();
        List<String> strings = new ArrayList<>();
        boolean graph = false;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> name = r.string("name");
                case 2 -> {
                    r.expect(ProtoReader.FIXED32, "f");
                    f = Float.intBitsToFloat(r.fixed32());
                }
                case 3 -> {
                    r.expect(ProtoReader.VARINT, "i");
                    i = r.varint();
                }
                case 4 -> s = r.lenientString("s");
                case 5 -> t = tensors.parse(r.message("t"));
                case 6, 11 -> {
                    graph = true;
                    r.skip();
                }
                case 7 -> floats(r, floats);
                case 8 -> TensorProtoParser.varints(r, "ints", ints, MAX_LIST);
                case 9 -> strings.add(r.lenientString("strings"));
                case 20 -> {
                    r.expect(ProtoReader.VARINT, "type");
                    type = (int) r.varint();
                }
                default -> r.skip();
            }
        }
        if (name.isEmpty()) {
            throw r.errorAt(r.start(), r.path() + ".name", "is missing");
        }
        return new OnnxAttribute(name, type, f, i, s, t, floats.toArray(), ints.toArray(), List.copyOf(strings), graph);
    }

    private static void floats(ProtoReader r, FloatList out) throws FormatException {
        if (r.wire() == ProtoReader.LEN) {
            ProtoReader p = r.packed("floats");
            while (p.hasNext()) {
                if (out.size() == MAX_LIST) {
                    throw r.error("floats", "has more than " + MAX_LIST + " values");
                }
                out.add(Float.intBitsToFloat(p.fixed32()));
            }
        } else {
            r.expect(ProtoReader.FIXED32, "floats");
            out.add(Float.intBitsToFloat(r.fixed32()));
        }
    }

    private static OnnxValueInfo valueInfo(ProtoReader r) throws FormatException {
        String name = "";
        OnnxDataType elem = OnnxDataType.UNDEFINED;
        List<Object> dims = new ArrayList<>();
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> name = r.string("name");
                case 2 -> {
                    // TypeProto: only tensor_type (1) is read
                    ProtoReader type = r.message("type");
                    while (type.hasNext()) {
                        if (type.next() == 1) {
                            ProtoReader tensor = type.message("tensor_type");
                            while (tensor.hasNext()) {
                                switch (tensor.next()) {
                                    case 1 -> {
                                        tensor.expect(ProtoReader.VARINT, "elem_type");
                                        elem = OnnxDataType.of(tensor.varint());
                                    }
                                    case 2 -> shape(tensor.message("shape"), dims);
                                    default -> tensor.skip();
                                }
                            }
                        } else {
                            type.skip();
                        }
                    }
                }
                default -> r.skip();
            }
        }
        return new OnnxValueInfo(name, elem, Collections.unmodifiableList(dims));
    }

    private static void shape(ProtoReader r, List<Object> dims) throws FormatException {
        while (r.hasNext()) {
            if (r.next() != 1) {
                r.skip();
                continue;
            }
            ProtoReader dim = r.message("dim[" + dims.size() + "]");
            Object value = null;
            while (dim.hasNext()) {
                switch (dim.next()) {
                    case 1 -> {
                        dim.expect(ProtoReader.VARINT, "dim_value");
                        value = dim.varint();
                    }
                    case 2 -> value = dim.string("dim_param");
                    default -> dim.skip();
                }
            }
            dims.add(value);
        }
    }
}
