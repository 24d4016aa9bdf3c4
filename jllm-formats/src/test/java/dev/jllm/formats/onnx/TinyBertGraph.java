package dev.jllm.formats.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds a small BERT encoder as an ONNX model (opset 17) with {@link ProtoWriter}, in a different style from the
 * PyTorch export: opaque initializer names, fused {@code LayerNormalization}, constant Reshape shapes, GELU with
 * the 0.5 applied first, and fixed input shapes {@code [1, SEQ]}. Options replace the activation, add a stray node,
 * replace the word lookup, or drop the token types. {@link #hfNames} tells which Hugging Face tensor each initializer is.
 */
final class TinyBertGraph {
    static final int HIDDEN = 8;
    static final int HEADS = 2;
    static final int INNER = 16;
    static final int VOCAB = 20;
    static final int POSITIONS = 16;
    static final int SEQ = 5;
    static final float EPS = 1e-5f;

    String activation = "erf";
    boolean tokenTypes = true;
    String strayOp;
    String wordLookupOp = "Gather";
    boolean positionInput;
    boolean swapPositions;
    /** Head shapes computed at run time (Concat of a sliced Shape and constants), so only the score scale tells. */
    boolean dynamicHeadShapes;
    boolean unscaledScores;
    /** Opset 20 with LayerNorm written out (ReduceMean axes as an input, Mul(d, d), Reciprocal) and Gelu nodes. */
    boolean opset20;
    int layers = 2;

    /** Initializer name → values, in the order written. */
    final Map<String, float[]> weights = new LinkedHashMap<>();
    /** Initializer name → its Hugging Face tensor name. */
    final Map<String, String> hfNames = new LinkedHashMap<>();
    /** Initializer names stored [in, out] (Hugging Face's transpose). */
    final List<String> transposed = new ArrayList<>();

    private final SplittableRandom random = new SplittableRandom(7);
    private final List<ProtoWriter> nodes = new ArrayList<>();
    private final List<ProtoWriter> inits = new ArrayList<>();
    private int counter;
    private boolean axesWritten;
    private boolean dynamicWritten;

    byte[] build() {
        String words = weight("embeddings.word_embeddings.weight", false, VOCAB, HIDDEN);
        String pos = weight("embeddings.position_embeddings.weight", false, POSITIONS, HIDDEN);
        long[] ids = new long[SEQ];
        for (int i = 0; i < SEQ; i++) {
            ids[i] = i;
        }
        if (swapPositions) {
            ids[1] = 2;
            ids[2] = 1;
        }
        inits.add(ProtoWriter.longTensor("pos_ids", ids, 1, SEQ));
        inits.add(ProtoWriter.longTensor("heads_shape", new long[] {0, 0, HEADS, HIDDEN / HEADS}, 4));
        inits.add(ProtoWriter.longTensor("merge_shape", new long[] {0, 0, HIDDEN}, 3));
        String sum = node("Add", named("word_lookup", wordLookupOp, words, "input_ids"), node("Gather", pos, positionInput ? "position_ids" : "pos_ids"));
        if (tokenTypes) {
            String types = weight("embeddings.token_type_embeddings.weight", false, 2, HIDDEN);
            sum = node("Add", node("Gather", types, "token_type_ids"), sum);
        }
        String h = layerNorm(sum, "embeddings.LayerNorm");
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            String q = heads(dense(h, p + "attention.self.query", HIDDEN, HIDDEN, true), 0, 2, 1, 3);
            String k = heads(dense(h, p + "attention.self.key", HIDDEN, HIDDEN, true), 0, 2, 3, 1);
            String v = heads(dense(h, p + "attention.self.value", HIDDEN, HIDDEN, true), 0, 2, 1, 3);
            String scores = unscaledScores ? node("MatMul", q, k)
                    : node("Div", node("MatMul", q, k), scalar((float) Math.sqrt(HIDDEN / HEADS)));
            String probs = node("Softmax", attrInt("axis", -1), scores);
            String ctx = node("Reshape", node("Transpose", perm(0, 2, 1, 3), node("MatMul", probs, v)), "merge_shape");
            String att = dense(ctx, p + "attention.output.dense", HIDDEN, HIDDEN, true);
            String h1 = layerNorm(node("Add", h, att), p + "attention.output.LayerNorm");
            String up = dense(h1, p + "intermediate.dense", HIDDEN, INNER, true);
            String act = switch (activation) {
                case "erf" -> node("Mul", node("Mul", up, scalar(0.5f)),
                        node("Add", scalar(1f), node("Erf", node("Div", up, scalar((float) Math.sqrt(2))))));
                case "gelu-tanh" -> named("act_l" + l, "Gelu", new ProtoWriter().string(1, "approximate").varint(20, 3)
                        .string(4, "tanh"), up);
                default -> named("act_l" + l, activation, up);
            };
            String down = dense(act, p + "output.dense", INNER, HIDDEN, true);
            h = layerNorm(node("Add", down, h1), p + "output.LayerNorm");
        }
        if (strayOp != null) {
            named("stray", strayOp, "input_ids");
        }
        ProtoWriter graph = new ProtoWriter();
        nodes.forEach(n -> graph.message(1, n));
        graph.string(2, "tiny_bert");
        inits.forEach(t -> graph.message(5, t));
        graph.message(11, valueInfo("input_ids", 7, 1, SEQ));
        if (tokenTypes) {
            graph.message(11, valueInfo("token_type_ids", 7, 1, SEQ));
        }
        if (positionInput) {
            graph.message(11, valueInfo("position_ids", 7, 1, SEQ));
        }
        graph.message(12, valueInfo(h, 1, 1, SEQ, HIDDEN));
        return new ProtoWriter().varint(1, 8).string(2, "jllm-test").message(7, graph)
                .message(8, new ProtoWriter().varint(2, opset20 ? 20 : 17)).toBytes();
    }

    /** The graph's output value name is the last LayerNorm's; ONNX Runtime reports it as output 0. */
    private static ProtoWriter valueInfo(String name, int elemType, long... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (long d : dims) {
            shape.message(1, new ProtoWriter().varint(1, d));
        }
        ProtoWriter tensor = new ProtoWriter().varint(1, elemType).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
    }

    private String weight(String hf, boolean inOut, long... dims) {
        String name = "w" + inits.size();
        float[] v = new float[(int) (dims[0] * (dims.length > 1 ? dims[1] : 1))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1) * (hf.contains("LayerNorm.weight") ? 0.5f : 0.3f)
                    + (hf.contains("LayerNorm.weight") ? 1f : 0f);
        }
        weights.put(name, v);
        hfNames.put(name, hf);
        if (inOut) {
            transposed.add(name);
        }
        inits.add(ProtoWriter.floatTensor(name, v, dims));
        return name;
    }

    private String dense(String x, String hf, int in, int out, boolean bias) {
        String y = node("MatMul", x, weight(hf + ".weight", true, in, out));
        return bias ? node("Add", weight(hf + ".bias", false, out), y) : y;
    }

    private String heads(String x, long... perm) {
        String shape = "heads_shape";
        if (dynamicHeadShapes) {
            if (!dynamicWritten) {
                inits.add(ProtoWriter.longTensor("zero", new long[] {0}, 1));
                inits.add(ProtoWriter.longTensor("two", new long[] {2}, 1));
                inits.add(ProtoWriter.longTensor("heads_tail", new long[] {HEADS, HIDDEN / HEADS}, 2));
                dynamicWritten = true;
            }
            String lead = node("Slice", node("Shape", x), "zero", "two");
            shape = node("Concat", new ProtoWriter().string(1, "axis").varint(20, 2).varint(3, 0), lead, "heads_tail");
        }
        return node("Transpose", perm(perm), node("Reshape", x, shape));
    }

    private String layerNorm(String x, String hf) {
        String g = weight(hf + ".weight", false, HIDDEN);
        String b = weight(hf + ".bias", false, HIDDEN);
        if (opset20) {
            if (!axesWritten) {
                inits.add(ProtoWriter.longTensor("last_axis", new long[] {-1}, 1));
                axesWritten = true;
            }
            String d = node("Sub", x, node("ReduceMean", x, "last_axis"));
            String var = node("ReduceMean", node("Mul", d, d), "last_axis");
            String inv = node("Reciprocal", node("Sqrt", node("Add", var, scalar(EPS))));
            return node("Add", b, node("Mul", g, node("Mul", inv, d)));
        }
        ProtoWriter eps = new ProtoWriter().string(1, "epsilon").varint(20, 1).fixed32(2, EPS);
        return node("LayerNormalization", eps, x, g, b);
    }

    private String scalar(float v) {
        String out = "c" + counter++;
        ProtoWriter t = new ProtoWriter().varint(2, 1).bytes(9, java.nio.ByteBuffer.allocate(4)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        ProtoWriter value = new ProtoWriter().string(1, "value").varint(20, 4).message(5, t);
        nodes.add(new ProtoWriter().string(2, out).string(3, "const_" + out).string(4, "Constant").message(5, value));
        return out;
    }

    private static ProtoWriter perm(long... p) {
        return new ProtoWriter().string(1, "perm").varint(20, 7).packed(8, p);
    }

    private static ProtoWriter attrInt(String name, long v) {
        return new ProtoWriter().string(1, name).varint(20, 2).varint(3, v);
    }

    private String node(String op, String... inputs) {
        return named("n" + counter, op, null, inputs);
    }

    private String node(String op, ProtoWriter attr, String... inputs) {
        return named("n" + counter, op, attr, inputs);
    }

    private String named(String name, String op, String... inputs) {
        return named(name, op, null, inputs);
    }

    private String named(String name, String op, ProtoWriter attr, String... inputs) {
        String out = "v" + counter++;
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) {
            n.string(1, in);
        }
        n.string(2, out).string(3, name).string(4, op);
        if (attr != null) {
            n.message(5, attr);
        }
        nodes.add(n);
        return out;
    }
}
