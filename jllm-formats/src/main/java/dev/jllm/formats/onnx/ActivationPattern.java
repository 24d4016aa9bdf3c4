package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;

/**
 * Identifies the activation between the intermediate and output dense layers. Exporters write GELU in many shapes
 * ({@code 0.5 * x * (1 + Erf(x / sqrt(2)))} in any operand order, a {@code Gelu} node, the tanh approximation), so
 * rather than matching one node order this collects the element-wise nodes between the two dense layers, evaluates
 * them at sample points and compares the result with each activation Hugging Face's {@code hidden_act} names.
 */
final class ActivationPattern {
    /**
     * A matched activation.
     *
     * @param hiddenAct the Hugging Face name: gelu, gelu_new, relu, silu or quick_gelu
     * @param output the activation's output value
     * @param dense the dense layer that reads it
     */
    record Match(String hiddenAct, String output, OnnxNode dense) {
    }

    private static final Set<String> ELEMENTWISE = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh",
            "Sigmoid", "Relu", "Gelu", "Neg", "Exp", "Identity", "Cast");
    private static final int MAX_NODES = 24;
    private static final double[] SAMPLES = {-4, -2.5, -1.3, -0.7, -0.2, 0, 0.1, 0.6, 1.1, 2.2, 3.7};
    private static final Map<String, DoubleUnaryOperator> CANDIDATES = candidates();

    private ActivationPattern() {
    }

    private static Map<String, DoubleUnaryOperator> candidates() {
        Map<String, DoubleUnaryOperator> m = new java.util.LinkedHashMap<>();
        m.put("gelu", x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))));
        m.put("gelu_new", ActivationPattern::tanhGelu);
        m.put("relu", x -> Math.max(0, x));
        m.put("silu", x -> x / (1 + Math.exp(-x)));
        m.put("quick_gelu", x -> x / (1 + Math.exp(-1.702 * x)));
        return m;
    }

    /** Matches the activation applied to {@code x}, placing its nodes, up to the dense layer that reads its result. */
    static Match match(GraphIndex g, String x, String where) throws FormatException {
        List<OnnxNode> body = new ArrayList<>();
        Set<String> values = new HashSet<>(Set.of(x));
        Deque<String> frontier = new ArrayDeque<>(List.of(x));
        OnnxNode dense = null;
        String output = null;
        while (!frontier.isEmpty()) {
            String v = frontier.pop();
            for (OnnxNode n : g.dataConsumers(v)) {
                if (body.contains(n) || n == dense) {
                    continue;
                }
                if (LinearPattern.isDense(g, n) && n.input(0).equals(v) && !v.equals(x)) {
                    if (dense != null) {
                        throw g.error(n, "cannot place it: the activation after " + where + " feeds two dense layers");
                    }
                    dense = n;
                    output = v;
                    continue;
                }
                if (!ELEMENTWISE.contains(n.opType()) || !n.domain().isEmpty() || n.outputs().size() != 1) {
                    throw g.error(n, "cannot place it: expected an activation (GELU, ReLU, SiLU) of element-wise "
                            + "operators after " + where);
                }
                if (body.size() == MAX_NODES) {
                    throw g.error(n, "cannot place it: the activation after " + where + " has more than " + MAX_NODES
                            + " nodes");
                }
                body.add(n);
                values.add(n.output());
                frontier.add(n.output());
            }
        }
        if (dense == null || body.isEmpty()) {
            OnnxNode at = body.isEmpty() ? g.producer(x) : body.get(body.size() - 1);
            throw g.error(at, body.isEmpty() ? "no activation follows it (" + where + ")"
                    : "no dense layer follows the activation after " + where);
        }
        body.sort(Comparator.comparingInt(OnnxNode::index));
        for (OnnxNode n : body) {
            for (String in : n.inputs()) {
                if (!values.contains(in) && g.scalar(in) == null) {
                    throw g.error(n, "cannot place it: in the activation after " + where + " it reads \"" + in
                            + "\", which is neither computed from the activation's input nor a constant");
                }
            }
        }
        String act = identify(g, body, x, output, where);
        for (OnnxNode n : body) {
            g.place(n);
        }
        return new Match(act, output, dense);
    }

    private static String identify(GraphIndex g, List<OnnxNode> body, String x, String output, String where)
            throws FormatException {
        double[] got = new double[SAMPLES.length];
        for (int s = 0; s < SAMPLES.length; s++) {
            got[s] = evaluate(g, body, x, output, SAMPLES[s]);
        }
        for (Map.Entry<String, DoubleUnaryOperator> c : CANDIDATES.entrySet()) {
            boolean all = true;
            for (int s = 0; s < SAMPLES.length && all; s++) {
                double want = c.getValue().applyAsDouble(SAMPLES[s]);
                all = Math.abs(got[s] - want) <= 1e-4 * (1 + Math.abs(want));
            }
            if (all) {
                return c.getKey();
            }
        }
        StringBuilder ops = new StringBuilder();
        for (OnnxNode n : body) {
            ops.append(ops.isEmpty() ? "" : ", ").append(n.opType());
        }
        throw g.error(body.get(0), "cannot place it: the activation after " + where + " (" + ops
                + ") is not GELU, tanh GELU, ReLU, SiLU or quick GELU");
    }

    // runs the element-wise nodes (in graph order) on one input number
    private static double evaluate(GraphIndex g, List<OnnxNode> body, String x, String output, double input)
            throws FormatException {
        Map<String, Double> v = new HashMap<>();
        v.put(x, input);
        for (OnnxNode n : body) {
            double[] a = new double[n.inputs().size()];
            for (int i = 0; i < a.length; i++) {
                Double d = v.containsKey(n.input(i)) ? v.get(n.input(i)) : g.scalar(n.input(i));
                if (d == null) {
                    throw g.error(n, "cannot place it: it is evaluated before its input \"" + n.input(i) + "\"");
                }
                a[i] = d;
            }
            v.put(n.output(), apply(g, n, a));
        }
        Double out = v.get(output);
        if (out == null) {
            throw g.error(body.get(0), "the activation's nodes do not compute the value the next dense layer reads");
        }
        return out;
    }

    private static double apply(GraphIndex g, OnnxNode n, double[] a) throws FormatException {
        int need = switch (n.opType()) {
            case "Add", "Sub", "Mul", "Div", "Pow" -> 2;
            default -> 1;
        };
        if (a.length != need) {
            throw g.error(n, "cannot place it: has " + a.length + " inputs, expected " + need);
        }
        return switch (n.opType()) {
            case "Add" -> a[0] + a[1];
            case "Sub" -> a[0] - a[1];
            case "Mul" -> a[0] * a[1];
            case "Div" -> a[0] / a[1];
            case "Pow" -> Math.pow(a[0], a[1]);
            case "Sqrt" -> Math.sqrt(a[0]);
            case "Erf" -> erf(a[0]);
            case "Tanh" -> Math.tanh(a[0]);
            case "Sigmoid" -> 1 / (1 + Math.exp(-a[0]));
            case "Relu" -> Math.max(0, a[0]);
            case "Neg" -> -a[0];
            case "Exp" -> Math.exp(a[0]);
            case "Gelu" -> "tanh".equals(attributeString(n, "approximate")) ? tanhGelu(a[0])
                    : 0.5 * a[0] * (1 + erf(a[0] / Math.sqrt(2)));
            default -> a[0];
        };
    }

    private static String attributeString(OnnxNode n, String key) {
        OnnxAttribute a = n.attribute(key);
        return a == null ? null : a.s();
    }

    private static double tanhGelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** The error function, by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7). */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double r = 1 - poly * Math.exp(-x * x);
        return x < 0 ? -r : r;
    }
}
