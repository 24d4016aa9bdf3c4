package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.List;

/**
 * A dense layer {@code y = x W + b} as exporters write it: {@code MatMul(x, W)} with W stored {@code [in, out]} (the
 * transpose of PyTorch's Linear weight), or {@code MatMul(x, Transpose(W))}, or {@code Gemm} with {@code transB};
 * followed by {@code Add} of a bias vector when it is not folded into the residual sum.
 */
final class LinearPattern {
    /**
     * A matched dense layer.
     *
     * @param node the MatMul or Gemm
     * @param weight the weight tensor as stored
     * @param storedInOut whether {@code weight} is stored {@code [in, out]} (so Hugging Face's {@code [out, in]} is its
     *     transpose)
     * @param in input width
     * @param out output width
     * @param bias the bias, or null when none is applied directly after the product
     * @param output the layer's output value (after the bias when there is one)
     */
    record Match(OnnxNode node, OnnxTensor weight, boolean storedInOut, long in, long out, OnnxTensor bias, String output) {
        /** The same layer with a bias found later (in a residual sum). */
        Match withBias(OnnxTensor b) {
            return new Match(node, weight, storedInOut, in, out, b, output);
        }
    }

    private LinearPattern() {
    }

    /** Whether {@code n} multiplies by a constant matrix (a dense layer's weight) on the right. */
    static boolean isDense(GraphIndex g, OnnxNode n) {
        if (!(n.opType().equals("MatMul") || n.opType().equals("Gemm")) || !n.domain().isEmpty()) {
            return false;
        }
        return weightOf(g, n.input(1)) != null;
    }

    /** Matches the dense layer of {@code n} reading {@code x}, placing it and its bias Add. */
    static Match match(GraphIndex g, OnnxNode n, String x) throws FormatException {
        if (!isDense(g, n)) {
            throw g.error(n, "cannot place it: expected a dense layer (MatMul or Gemm by a constant matrix)");
        }
        if (!n.input(0).equals(x)) {
            throw g.error(n, "cannot place it: its constant matrix multiplies from the left");
        }
        Weight w = weightOf(g, n.input(1));
        boolean inOut = w.inOut();
        OnnxTensor bias = null;
        if (n.opType().equals("Gemm")) {
            if (n.intAttribute("transA", 0) != 0 || alpha(n, "alpha") != 1 || alpha(n, "beta") != 1 && !n.input(2).isEmpty()) {
                throw g.error(n, "cannot place it: only Gemm with transA = 0, alpha = 1 and beta = 1 is a dense layer");
            }
            if (n.intAttribute("transB", 0) != 0) {
                inOut = !inOut;
            }
        }
        long[] d = w.tensor().dims();
        long in = inOut ? d[0] : d[1];
        long out = inOut ? d[1] : d[0];
        g.place(n);
        if (w.transpose() != null) {
            g.place(w.transpose());
        }
        String output = n.output();
        if (n.opType().equals("Gemm") && !n.input(2).isEmpty()) {
            bias = g.constant(n.input(2));
            checkBias(g, n, bias, out);
        } else {
            List<OnnxNode> uses = g.dataConsumers(output);
            if (uses.size() == 1 && uses.get(0).opType().equals("Add") && uses.get(0).inputs().size() == 2) {
                OnnxNode add = uses.get(0);
                String other = add.input(0).equals(output) ? add.input(1) : add.input(0);
                OnnxTensor t = g.constant(other);
                if (t != null && t.rank() == 1) {
                    checkBias(g, add, t, out);
                    g.place(add);
                    bias = t;
                    output = add.output();
                }
            }
        }
        return new Match(n, w.tensor(), inOut, in, out, bias, output);
    }

    private static float alpha(OnnxNode n, String key) {
        OnnxAttribute a = n.attribute(key);
        return a == null ? 1f : a.f();
    }

    static void checkBias(GraphIndex g, OnnxNode n, OnnxTensor t, long out) throws FormatException {
        if (t == null || !t.type().isWeightFloat() || t.rank() != 1 || t.dims()[0] != out) {
            throw g.error(n, "its bias should be a constant float vector of " + out + " elements, found "
                    + (t == null ? "a computed value" : t.describe()));
        }
    }

    private record Weight(OnnxTensor tensor, boolean inOut, OnnxNode transpose) {
    }

    // the constant matrix: stored [in, out], or [out, in] behind a Transpose
    private static Weight weightOf(GraphIndex g, String value) {
        OnnxTensor t = g.constant(value);
        if (t != null) {
            return isMatrix(t) ? new Weight(t, true, null) : null;
        }
        OnnxNode p = g.producer(value);
        if (p != null && p.opType().equals("Transpose") && p.domain().isEmpty()) {
            OnnxAttribute perm = p.attribute("perm");
            OnnxTensor src = g.constant(p.input(0));
            boolean swap = perm == null || perm.ints().length == 2 && perm.ints()[0] == 1 && perm.ints()[1] == 0;
            if (src != null && isMatrix(src) && swap) {
                return new Weight(src, false, p);
            }
        }
        return null;
    }

    private static boolean isMatrix(OnnxTensor t) {
        return t.type().isWeightFloat() && t.rank() == 2 && t.dims()[0] > 0 && t.dims()[1] > 0;
    }
}
