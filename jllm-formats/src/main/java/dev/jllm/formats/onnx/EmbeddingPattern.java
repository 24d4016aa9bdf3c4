package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * BERT's embeddings: the {@code Gather}s of constant tables by the token ids, the token-type ids and the positions,
 * and their sum. A table indexed by a graph input is the word table (the one named {@code input_ids}, or the larger)
 * or the token-type table; the table indexed by a computed value is the position table, whose index computation must
 * not read token values (RoBERTa's padding-offset positions) and whose constant position ids must be 0, 1, 2, ….
 */
final class EmbeddingPattern {
    /**
     * The matched embeddings.
     *
     * @param words the word table {@code [vocab, hidden]}
     * @param positions the position table {@code [max positions, hidden]}
     * @param tokenTypes the token-type table {@code [types, hidden]}, or null when the graph has none
     * @param sum the value the embedding LayerNorm reads
     * @param positionIds the integer initializers verified as position ids
     */
    record Match(OnnxTensor words, OnnxTensor positions, OnnxTensor tokenTypes, String sum, List<OnnxTensor> positionIds) {
    }

    private EmbeddingPattern() {
    }

    static Match match(GraphIndex g) throws FormatException {
        List<OnnxNode> byInput = new ArrayList<>();
        List<OnnxNode> computed = new ArrayList<>();
        for (OnnxNode n : g.graph().nodes()) {
            if (!n.opType().equals("Gather") || !n.domain().isEmpty() || n.intAttribute("axis", 0) != 0) {
                continue;
            }
            OnnxTensor table = g.constant(n.input(0));
            if (table == null || !table.type().isWeightFloat() || table.rank() != 2) {
                continue;
            }
            String input = graphInput(g, n.input(1));
            // position ids given as an input (some exports take them) index the position table
            (input != null && !input.contains("position") ? byInput : computed).add(n);
        }
        if (byInput.isEmpty()) {
            // name the node that reads the largest table instead, as fused exports (EmbedLayerNormalization) do
            OnnxTensor largest = null;
            for (OnnxTensor t : g.graph().initializers().values()) {
                if (t.type().isWeightFloat() && (largest == null || t.elementCount() > largest.elementCount())) {
                    largest = t;
                }
            }
            OnnxNode reader = largest == null ? null : g.consumers(largest.name()).stream().findFirst().orElse(null);
            throw g.error(reader, (reader == null ? "" : "cannot place it: ") + "expected the word embeddings, a Gather "
                    + "of a constant table by a graph input (input_ids)"
                    + (largest == null ? "" : "; the largest table is " + largest.describe()));
        }
        if (byInput.size() > 2) {
            throw g.error(byInput.get(2), "cannot place it: a third embedding table indexed by a graph input");
        }
        OnnxNode words = byInput.get(0);
        OnnxNode types = byInput.size() == 2 ? byInput.get(1) : null;
        if (types != null && (isNamed(g, types, "input_ids") || !isNamed(g, words, "input_ids")
                && rows(g, types) > rows(g, words))) {
            OnnxNode t = words;
            words = types;
            types = t;
        }
        if (computed.isEmpty()) {
            throw g.error("no position embedding table (a Gather of a constant table by computed positions)");
        }
        if (computed.size() > 1) {
            throw g.error(computed.get(1), "cannot place it: a second embedding table indexed by computed values");
        }
        OnnxNode positions = computed.get(0);
        long width = g.constant(words.input(0)).dims()[1];
        for (OnnxNode n : types == null ? List.of(positions) : List.of(positions, types)) {
            if (g.constant(n.input(0)).dims()[1] != width) {
                throw g.error(n, "its table " + g.constant(n.input(0)).describe() + " is not " + width + " wide like the word table");
            }
        }
        List<OnnxTensor> ids = positionIds(g, positions);
        Set<String> leaves = new HashSet<>(List.of(words.output(), positions.output()));
        if (types != null) {
            leaves.add(types.output());
        }
        SumPattern.Match sum = SumPattern.from(g, words.output(), leaves);
        if (sum.terms().size() != leaves.size() || !leaves.containsAll(sum.terms())) {
            throw g.error(SumPattern.culprit(g, sum, leaves, words), "cannot place it: expected the sum of the word, position"
                    + (types == null ? "" : " and token-type") + " embeddings (Gathers of constant tables)");
        }
        g.place(words);
        g.place(positions);
        if (types != null) {
            g.place(types);
        }
        SumPattern.place(g, sum);
        return new Match(g.constant(words.input(0)), g.constant(positions.input(0)),
                types == null ? null : g.constant(types.input(0)), sum.output(), ids);
    }

    private static long rows(GraphIndex g, OnnxNode gather) {
        return g.constant(gather.input(0)).dims()[0];
    }

    private static boolean isNamed(GraphIndex g, OnnxNode gather, String name) {
        String in = graphInput(g, gather.input(1));
        return in != null && in.contains(name);
    }

    // the graph input an index value is, possibly through Cast or Identity
    private static String graphInput(GraphIndex g, String v) {
        for (int hops = 0; hops < 4; hops++) {
            if (g.isGraphInput(v)) {
                return v;
            }
            OnnxNode p = g.producer(v);
            if (p == null || !(p.opType().equals("Cast") || p.opType().equals("Identity"))) {
                return null;
            }
            v = p.input(0);
        }
        return null;
    }

    // ops that pass position ids through as their first input (slicing, reshaping), as opposed to shape inputs
    private static final Set<String> DATA_OPS = Set.of("Slice", "Expand", "Reshape", "Unsqueeze", "Squeeze", "Cast",
            "Identity", "Gather");

    // the position index computation must not read token values (CumSum); the constant ids it slices must be 0..n-1
    private static List<OnnxTensor> positionIds(GraphIndex g, OnnxNode gather) throws FormatException {
        Deque<String> todo = new ArrayDeque<>(List.of(gather.input(1)));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty() && seen.size() < 256) {
            String v = todo.pop();
            OnnxNode p = g.producer(v);
            if (!seen.add(v) || p == null || p.opType().equals("Shape")) {
                continue;
            }
            if (p.opType().equals("CumSum")) {
                throw g.error(p, "cannot place it: positions computed from the token ids (RoBERTa style) are not BERT's");
            }
            todo.addAll(p.inputs());
        }
        List<OnnxTensor> ids = new ArrayList<>();
        String v = gather.input(1);
        for (int hops = 0; hops < 16; hops++) {
            OnnxTensor init = g.initializer(v);
            if (init != null) {
                if (init.type().isInteger() && init.hasData() && init.elementCount() > 1) {
                    for (long i = 0; i < init.elementCount(); i++) {
                        if (init.integer(i) != i) {
                            throw g.error(gather, "its position ids " + init.describe() + " are not 0, 1, 2, … (element "
                                    + i + " is " + init.integer(i) + ")");
                        }
                    }
                    ids.add(init);
                }
                break;
            }
            OnnxNode p = g.producer(v);
            if (p == null || !DATA_OPS.contains(p.opType())) {
                break;
            }
            v = p.input(0);
        }
        return ids;
    }
}
