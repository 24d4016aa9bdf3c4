package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.List;

/**
 * Finds the LayerNorm applied to a value: either one {@code LayerNormalization} node (opset 17+) or the decomposed
 * form older exporters write, {@code (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * gamma + beta}, with
 * {@code Pow(d, 2)} or {@code Mul(d, d)} and {@code Div} or {@code Reciprocal}+{@code Mul}.
 */
final class LayerNormPattern {
    /**
     * A matched LayerNorm.
     *
     * @param weight gamma
     * @param bias beta
     * @param eps the epsilon added to the variance
     * @param output the normalised value
     */
    record Match(OnnxTensor weight, OnnxTensor bias, double eps, String output) {
    }

    private LayerNormPattern() {
    }

    /**
     * Matches the LayerNorm applied to {@code x} of width {@code width}, placing its nodes.
     *
     * @param where what {@code x} is, for errors (e.g. "the embeddings' sum")
     */
    static Match match(GraphIndex g, String x, long width, String where) throws FormatException {
        List<OnnxNode> uses = g.dataConsumers(x);
        for (OnnxNode n : uses) {
            if (n.opType().equals("LayerNormalization") && n.input(0).equals(x)) {
                return fused(g, n, uses, width, where);
            }
        }
        OnnxNode mean = null;
        for (OnnxNode n : uses) {
            if (n.opType().equals("ReduceMean") && n.input(0).equals(x)) {
                mean = n;
            }
        }
        if (mean == null || uses.size() != 2) {
            OnnxNode odd = uses.stream().filter(n -> !n.opType().equals("ReduceMean") && !n.opType().equals("Sub"))
                    .findFirst().orElse(uses.isEmpty() ? g.producer(x) : uses.get(0));
            String problem = "expected a LayerNorm (LayerNormalization, or ReduceMean and Sub) after " + where;
            throw odd == null ? g.error(problem + "; nothing reads it") : g.error(odd, "cannot place it: " + problem);
        }
        checkLastAxis(g, mean);
        g.place(mean);
        OnnxNode sub = uses.get(uses.get(0) == mean ? 1 : 0);
        if (!sub.opType().equals("Sub") || !sub.input(0).equals(x) || !sub.input(1).equals(mean.output())) {
            throw g.error(sub, "cannot place it: expected Sub(x, ReduceMean(x)) of the LayerNorm after " + where);
        }
        g.place(sub);
        String d = sub.output();
        List<OnnxNode> dUses = g.dataConsumers(d);
        if (dUses.size() != 2) {
            throw g.error(sub, "its centred value should feed the variance and the division, but feeds " + dUses.size()
                    + " nodes");
        }
        OnnxNode square = null;
        OnnxNode divide = null;
        for (OnnxNode n : dUses) {
            boolean pow = n.opType().equals("Pow") && n.input(0).equals(d) && Double.valueOf(2).equals(g.scalar(n.input(1)));
            boolean mulSelf = n.opType().equals("Mul") && n.input(0).equals(d) && n.input(1).equals(d);
            if (pow || mulSelf) {
                square = n;
            } else {
                divide = n;
            }
        }
        if (square == null || divide == null) {
            throw g.error(dUses.get(0), "cannot place it: expected Pow(d, 2) and Div in the LayerNorm after " + where);
        }
        g.place(square);
        OnnxNode variance = only(g, square.output(), "ReduceMean", where);
        checkLastAxis(g, variance);
        OnnxNode addEps = only(g, variance.output(), "Add", where);
        String epsValue = addEps.input(0).equals(variance.output()) ? addEps.input(1) : addEps.input(0);
        Double eps = g.scalar(epsValue);
        if (eps == null || !(eps >= 0) || eps > 1) {
            throw g.error(addEps, "the LayerNorm epsilon after " + where + " is not a constant between 0 and 1");
        }
        OnnxNode sqrt = only(g, addEps.output(), "Sqrt", where);
        String normed;
        if (divide.opType().equals("Div") && divide.input(0).equals(d) && divide.input(1).equals(sqrt.output())) {
            g.place(divide);
            normed = divide.output();
        } else if (divide.opType().equals("Mul")) {
            OnnxNode recip = only(g, sqrt.output(), "Reciprocal", where);
            boolean operands = divide.inputs().contains(d) && divide.inputs().contains(recip.output());
            if (!operands) {
                throw g.error(divide, "cannot place it: expected d * Reciprocal(sqrt) in the LayerNorm after " + where);
            }
            g.place(divide);
            normed = divide.output();
        } else {
            throw g.error(divide, "cannot place it: expected Div(d, Sqrt(...)) in the LayerNorm after " + where);
        }
        OnnxNode scale = only(g, normed, "Mul", where);
        OnnxTensor gamma = vector(g, scale, normed, width, "weight (gamma)", where);
        OnnxNode shift = only(g, scale.output(), "Add", where);
        OnnxTensor beta = vector(g, shift, scale.output(), width, "bias (beta)", where);
        return new Match(gamma, beta, eps, shift.output());
    }

    private static Match fused(GraphIndex g, OnnxNode n, List<OnnxNode> uses, long width, String where)
            throws FormatException {
        if (uses.size() != 1) {
            OnnxNode other = uses.get(uses.get(0) == n ? 1 : 0);
            throw g.error(other, "cannot place it: it reads " + where + " next to its LayerNormalization");
        }
        long axis = n.intAttribute("axis", -1);
        if (axis != -1 && axis != 2) {
            throw g.error(n, "normalises over axis " + axis + ", not the hidden axis");
        }
        OnnxTensor gamma = g.constant(n.input(1));
        OnnxTensor beta = g.constant(n.input(2));
        checkVector(g, n, gamma, width, "weight (scale)");
        checkVector(g, n, beta, width, "bias (B)");
        OnnxAttribute eps = n.attribute("epsilon");
        g.place(n);
        return new Match(gamma, beta, eps == null ? 1e-5 : eps.f(), n.output());
    }

    // the one node that reads v, which must be an op of the LayerNorm
    private static OnnxNode only(GraphIndex g, String v, String op, String where) throws FormatException {
        List<OnnxNode> uses = g.dataConsumers(v);
        if (uses.size() != 1 || !uses.get(0).opType().equals(op)) {
            OnnxNode odd = uses.isEmpty() ? g.producer(v) : uses.get(0);
            String problem = "expected " + op + " in the LayerNorm after " + where
                    + (uses.size() > 1 ? " as the only reader (" + uses.size() + " read it)" : "");
            throw g.error(odd, uses.isEmpty() ? problem + "; nothing reads its output" : "cannot place it: " + problem);
        }
        g.place(uses.get(0));
        return uses.get(0);
    }

    private static OnnxTensor vector(GraphIndex g, OnnxNode n, String input, long width, String what, String where)
            throws FormatException {
        if (n.inputs().size() != 2) {
            throw g.error(n, "cannot place it: expected two operands in the LayerNorm after " + where);
        }
        String other = n.input(0).equals(input) ? n.input(1) : n.input(0);
        OnnxTensor t = g.constant(other);
        checkVector(g, n, t, width, what);
        return t;
    }

    static void checkVector(GraphIndex g, OnnxNode n, OnnxTensor t, long width, String what) throws FormatException {
        if (t == null || !t.type().isWeightFloat() || t.rank() != 1 || t.dims()[0] != width) {
            throw g.error(n, "its LayerNorm " + what + " should be a constant float vector of " + width + " elements, found "
                    + (t == null ? "a computed value" : t.describe()));
        }
    }

    // ReduceMean must average over the hidden (last) axis: axes as an attribute (opset < 18) or a constant input
    private static void checkLastAxis(GraphIndex g, OnnxNode mean) throws FormatException {
        OnnxAttribute a = mean.attribute("axes");
        long[] axes = a != null ? a.ints() : null;
        if (axes == null && !mean.input(1).isEmpty()) {
            OnnxTensor t = g.constant(mean.input(1));
            if (t != null && t.type().isInteger() && t.elementCount() == 1) {
                axes = new long[] {t.integer(0)};
            }
        }
        if (axes == null || axes.length != 1 || (axes[0] != -1 && axes[0] != 2)) {
            throw g.error(mean, "cannot place it: a LayerNorm's ReduceMean must average over the last axis only");
        }
    }
}
