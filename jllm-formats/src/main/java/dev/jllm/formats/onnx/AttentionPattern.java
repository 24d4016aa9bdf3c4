package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's self-attention, told apart by data flow rather than names: of the three dense layers reading the hidden
 * state, the two whose outputs (after reshapes and transposes) meet in one MatMul are the query (left operand) and
 * key (right operand); the third is the value, the right operand of the MatMul that reads the softmax. The number of
 * heads comes from the constant tail of a Reshape's target shape {@code [.., heads, head_size]}, or else from the
 * score scale {@code 1/sqrt(head_size)}.
 */
final class AttentionPattern {
    /**
     * A matched attention block.
     *
     * @param query the query projection
     * @param key the key projection
     * @param value the value projection
     * @param output the output dense layer (reading the merged heads)
     * @param heads the number of heads, or 0 when neither the reshapes nor the scale tell it
     */
    record Match(LinearPattern.Match query, LinearPattern.Match key, LinearPattern.Match value, LinearPattern.Match output,
            int heads) {
    }

    private record End(OnnxNode matmul, int side, List<OnnxNode> reshapes) {
    }

    private static final int MAX_STEPS = 16;

    private AttentionPattern() {
    }

    /** Matches the attention reading {@code h} through the three given dense layers. */
    static Match match(GraphIndex g, List<OnnxNode> projections, String h, long width, String where)
            throws FormatException {
        List<LinearPattern.Match> lin = new ArrayList<>();
        List<End> ends = new ArrayList<>();
        for (OnnxNode n : projections) {
            LinearPattern.Match m = LinearPattern.match(g, n, h);
            if (m.in() != width || m.out() != width) {
                throw g.error(n, "cannot place it: an attention projection should map " + width + " to " + width
                        + " but its weight is " + m.weight().describe());
            }
            lin.add(m);
            ends.add(toProduct(g, m.output(), where));
        }
        int v = -1;
        for (int i = 0; i < 3; i++) {
            OnnxNode mm = ends.get(i).matmul();
            int same = 0;
            for (End e : ends) {
                same += e.matmul() == mm ? 1 : 0;
            }
            if (same == 1) {
                if (v >= 0) {
                    throw g.error(mm, "cannot place it: the three projections of " + where + " do not meet as query·key");
                }
                v = i;
            }
        }
        if (v < 0) {
            throw g.error(ends.get(0).matmul(), "cannot place it: all three projections of " + where + " meet in it");
        }
        int q = -1;
        int k = -1;
        for (int i = 0; i < 3; i++) {
            if (i != v) {
                if (ends.get(i).side() == 0) {
                    q = i;
                } else {
                    k = i;
                }
            }
        }
        OnnxNode scores = ends.get((v + 1) % 3).matmul();
        OnnxNode context = ends.get(v).matmul();
        if (q < 0 || k < 0 || ends.get(v).side() != 1) {
            throw g.error(q < 0 || k < 0 ? scores : context, "cannot place it: expected query·keyᵀ and softmax·value in "
                    + where);
        }
        g.place(scores);
        double scale = scoresToContext(g, scores, context, where);
        g.place(context);
        LinearPattern.Match out = outputDense(g, context.output(), width, where);
        int heads = heads(g, ends.get(q).reshapes(), width);
        if (heads == 0 && scale > 0) {
            long headSize = Math.round(scale * scale);
            if (headSize > 0 && Math.abs(scale * scale - headSize) < 1e-3 * headSize && width % headSize == 0) {
                heads = (int) (width / headSize);
            }
        }
        return new Match(lin.get(q), lin.get(k), lin.get(v), out, heads);
    }

    // follows a projection's output through reshapes, transposes and scalings to the MatMul that reads it
    private static End toProduct(GraphIndex g, String v, String where) throws FormatException {
        List<OnnxNode> reshapes = new ArrayList<>();
        for (int step = 0; step < MAX_STEPS; step++) {
            OnnxNode n = only(g, v, where);
            switch (n.opType()) {
                case "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Cast" -> {
                    if (!n.input(0).equals(v)) {
                        throw g.error(n, "cannot place it: it reads an attention projection as its shape");
                    }
                    if (n.opType().equals("Reshape")) {
                        reshapes.add(n);
                    }
                }
                case "Mul", "Div" -> {
                    if (n.inputs().size() != 2 || !n.input(0).equals(v) && n.opType().equals("Div")
                            || g.scalar(n.input(0).equals(v) ? n.input(1) : n.input(0)) == null) {
                        throw g.error(n, "cannot place it: expected a scaling by a constant in the attention of " + where);
                    }
                }
                case "MatMul" -> {
                    String other = n.input(0).equals(v) ? n.input(1) : n.input(0);
                    if (g.constant(other) != null || n.inputs().size() != 2) {
                        throw g.error(n, "cannot place it: an attention projection multiplied by a constant");
                    }
                    return new End(n, n.input(0).equals(v) ? 0 : 1, reshapes);
                }
                default -> throw g.error(n, "cannot place it: expected the attention of " + where
                        + " (Reshape, Transpose, MatMul)");
            }
            g.place(n);
            v = n.output();
        }
        throw g.error(g.producer(v), "the attention of " + where + " takes more than " + MAX_STEPS + " steps");
    }

    // from the query·key product through scale, mask and softmax to the product with the values; returns the scale
    private static double scoresToContext(GraphIndex g, OnnxNode scores, OnnxNode context, String where)
            throws FormatException {
        String v = scores.output();
        boolean softmax = false;
        double scale = 0;
        for (int step = 0; step < MAX_STEPS; step++) {
            OnnxNode n = only(g, v, where);
            if (n == context) {
                if (!softmax || !n.input(0).equals(v)) {
                    throw g.error(n, "cannot place it: expected softmax(scores)·value in the attention of " + where);
                }
                return scale;
            }
            switch (n.opType()) {
                case "Div", "Mul" -> {
                    Double c = g.scalar(n.input(0).equals(v) ? n.input(1) : n.input(0));
                    if (c == null || n.opType().equals("Div") && !n.input(0).equals(v)) {
                        throw g.error(n, "cannot place it: expected the scores scaled by a constant in " + where);
                    }
                    scale = n.opType().equals("Div") ? c : 1 / c;
                }
                case "Softmax" -> {
                    long axis = n.intAttribute("axis", -1);
                    if (axis != -1 && axis != 3 || softmax) {
                        throw g.error(n, "cannot place it: expected one softmax over the keys in " + where);
                    }
                    softmax = true;
                }
                case "Add", "Sub", "Where", "Cast", "Identity", "Dropout" -> {
                    // the attention mask, and casts around the softmax
                }
                default -> throw g.error(n, "cannot place it: expected scale, mask and softmax in the attention of " + where);
            }
            g.place(n);
            v = n.output();
        }
        throw g.error(scores, "the attention of " + where + " takes more than " + MAX_STEPS + " steps to its softmax");
    }

    // from the per-head context through transposes and reshapes to the output dense layer
    private static LinearPattern.Match outputDense(GraphIndex g, String v, long width, String where)
            throws FormatException {
        for (int step = 0; step < MAX_STEPS; step++) {
            OnnxNode n = only(g, v, where);
            if (LinearPattern.isDense(g, n)) {
                LinearPattern.Match m = LinearPattern.match(g, n, v);
                if (m.in() != width || m.out() != width) {
                    throw g.error(n, "cannot place it: the attention output dense should map " + width + " to " + width);
                }
                return m;
            }
            if (!List.of("Transpose", "Reshape", "Identity", "Cast").contains(n.opType()) || !n.input(0).equals(v)) {
                throw g.error(n, "cannot place it: expected the heads merged (Transpose, Reshape) before the attention "
                        + "output dense of " + where);
            }
            g.place(n);
            v = n.output();
        }
        throw g.error(g.producer(v), "no attention output dense in " + MAX_STEPS + " steps in " + where);
    }

    private static OnnxNode only(GraphIndex g, String v, String where) throws FormatException {
        List<OnnxNode> uses = g.dataConsumers(v);
        if (uses.size() != 1) {
            OnnxNode at = uses.isEmpty() ? g.producer(v) : uses.get(1);
            throw g.error(at, uses.isEmpty() ? "its output is unused inside the attention of " + where
                    : "cannot place it: it reads a value that belongs to the attention of " + where);
        }
        return uses.get(0);
    }

    // heads from a Reshape target [.., heads, head_size]: a constant, or a Concat of constants and run-time sizes
    private static int heads(GraphIndex g, List<OnnxNode> reshapes, long width) {
        for (OnnxNode r : reshapes) {
            long[] s = shapeValues(g, r.input(1));
            if (s == null || s.length < 3) {
                continue;
            }
            long a = s[s.length - 2];
            long b = s[s.length - 1];
            if (a > 0 && b > 0 && a <= width && b <= width && a * b == width) {
                return (int) a;
            }
            if (a == -1 && b > 0 && width % b == 0) {
                return (int) (width / b);
            }
            if (b == -1 && a > 0 && width % a == 0) {
                return (int) a;
            }
        }
        return 0;
    }

    private static final long UNKNOWN = Long.MIN_VALUE;

    private static long[] shapeValues(GraphIndex g, String v) {
        OnnxTensor c = g.constant(v);
        if (c != null) {
            return c.type().isInteger() && c.rank() == 1 && c.elementCount() <= 8 ? values(c) : null;
        }
        OnnxNode p = g.producer(v);
        if (p == null || !p.opType().equals("Concat")) {
            return null;
        }
        List<Long> out = new ArrayList<>();
        for (String part : p.inputs()) {
            OnnxTensor t = g.constant(part);
            OnnxNode q = g.producer(part);
            if (t != null && t.type().isInteger() && t.rank() <= 1 && t.elementCount() <= 8) {
                for (long x : values(t)) {
                    out.add(x);
                }
            } else if (q != null && q.opType().equals("Unsqueeze")) {
                out.add(UNKNOWN);
            } else {
                return null;
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] values(OnnxTensor t) {
        long[] v = new long[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.integer(i);
        }
        return v;
    }
}
