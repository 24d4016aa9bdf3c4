package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A sum of several values by a tree of {@code Add} nodes in any order, such as the embeddings' sum or a residual
 * connection {@code dense(x) + bias + skip}: found by following {@code Add}s forward from one term, then expanding
 * the result back into its terms.
 */
final class SumPattern {
    /**
     * A matched sum.
     *
     * @param output the sum's value
     * @param terms the values summed (the expected ones plus any others, such as a bias folded into the sum)
     * @param adds the Add nodes
     */
    record Match(String output, List<String> terms, List<OnnxNode> adds) {
    }

    private static final int MAX_ADDS = 8;

    private SumPattern() {
    }

    /**
     * Follows {@code Add}s from {@code start} while each value has exactly one reader, then expands the last value
     * into terms, stopping at the {@code expected} values. Nothing is placed: the caller checks the terms first.
     */
    static Match from(GraphIndex g, String start, Set<String> expected) {
        String v = start;
        for (int i = 0; i < MAX_ADDS; i++) {
            List<OnnxNode> uses = g.dataConsumers(v);
            if (uses.size() != 1 || !uses.get(0).opType().equals("Add") || g.isPlaced(uses.get(0))) {
                break;
            }
            v = uses.get(0).output();
        }
        List<String> terms = new ArrayList<>();
        List<OnnxNode> adds = new ArrayList<>();
        expand(g, v, expected, terms, adds, 0);
        return new Match(v, terms, adds);
    }

    private static void expand(GraphIndex g, String v, Set<String> expected, List<String> terms, List<OnnxNode> adds,
            int depth) {
        OnnxNode p = g.producer(v);
        boolean add = p != null && p.opType().equals("Add") && p.domain().isEmpty() && p.inputs().size() == 2
                && !g.isPlaced(p) && !adds.contains(p);
        if (expected.contains(v) || depth > MAX_ADDS || !add) {
            terms.add(v);
            return;
        }
        adds.add(p);
        expand(g, p.input(0), expected, terms, adds, depth + 1);
        expand(g, p.input(1), expected, terms, adds, depth + 1);
    }

    /**
     * The node to blame when the terms are not the expected ones: the producer of the first unexpected term (or the
     * first Add when that term is a graph input or constant).
     */
    static OnnxNode culprit(GraphIndex g, Match m, Set<String> expected, OnnxNode fallback) {
        for (String t : m.terms()) {
            if (!expected.contains(t) && g.producer(t) != null && g.constant(t) == null) {
                return g.producer(t);
            }
        }
        return m.adds().isEmpty() ? fallback : m.adds().get(0);
    }

    /** Places the sum's Add nodes. */
    static void place(GraphIndex g, Match m) throws FormatException {
        for (OnnxNode n : m.adds()) {
            g.place(n);
        }
    }
}
