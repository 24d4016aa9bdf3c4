package dev.jllm.formats.onnx;

import dev.jllm.formats.FormatException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows a BERT-family encoder's graph from the embeddings to the last layer and names every weight it meets in
 * Hugging Face {@code BertModel} terms: embeddings and their LayerNorm, then per layer the query/key/value
 * projections, the attention output dense and LayerNorm, the intermediate dense, the activation, the output dense
 * and LayerNorm; then the optional pooler. Afterwards every weight initializer must have been placed, and every node
 * that was not must be shape or mask arithmetic (or read the encoder's output, as a pooling head does); otherwise the
 * error names the node.
 */
final class BertGraphWalk {
    // the operators that shape, index and mask computations use besides the encoder's own
    private static final Set<String> PLUMBING = Set.of("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Constant",
            "ConstantOfShape", "Cast", "Slice", "Reshape", "Transpose", "Sub", "Mul", "Div", "Add", "Equal", "Where",
            "Expand", "Range", "Not", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Identity", "Neg", "Min", "Max",
            "And", "Or", "Size", "Tile", "ReduceMin", "ReduceMax");

    private final GraphIndex g;
    private final List<BertImportPlan.Tensor> tensors = new ArrayList<>();
    private final Map<OnnxTensor, String> used = new IdentityHashMap<>();

    private BertGraphWalk(GraphIndex g) {
        this.g = g;
    }

    /**
     * Maps {@code model}'s graph to BERT's weights.
     *
     * @throws FormatException naming the operator (op_type and node name) that does not fit a BERT-family encoder
     */
    static BertImportPlan plan(OnnxModel model) throws FormatException {
        return new BertGraphWalk(new GraphIndex(model)).walk();
    }

    private BertImportPlan walk() throws FormatException {
        EmbeddingPattern.Match emb = EmbeddingPattern.match(g);
        long width = emb.words().dims()[1];
        add("embeddings.word_embeddings.weight", emb.words());
        add("embeddings.position_embeddings.weight", emb.positions());
        if (emb.tokenTypes() != null) {
            add("embeddings.token_type_embeddings.weight", emb.tokenTypes());
        } else {
            // an export without token types equals BERT with a single all-zero token type
            tensors.add(new BertImportPlan.Tensor("embeddings.token_type_embeddings.weight", new long[] {1, width}, null,
                    false, emb.words().type()));
        }
        LayerNormPattern.Match ln = LayerNormPattern.match(g, emb.sum(), width, "the embeddings' sum");
        addNorm("embeddings.LayerNorm", ln);
        double eps = ln.eps();
        String h = ln.output();
        int heads = 0;
        long inner = 0;
        String act = null;
        int layer = 0;
        while (true) {
            List<OnnxNode> dense = dense(h);
            if (dense.isEmpty()) {
                break;
            }
            String where = "layer " + layer;
            String p = "encoder.layer." + layer + ".";
            if (dense.size() != 3) {
                throw g.error(dense.get(0), "cannot place it: expected three dense layers (query, key, value) reading the "
                        + "input of " + where + ", found " + dense.size());
            }
            checkReaders(h, dense.size() + 1, where + "'s input");
            AttentionPattern.Match att = AttentionPattern.match(g, dense, h, width, where);
            // last resort when neither a Reshape nor the score scale tells: BERT's usual head size of 64
            int layerHeads = att.heads() != 0 ? att.heads() : width % 64 == 0 ? (int) (width / 64) : 0;
            if (layerHeads == 0 || heads != 0 && layerHeads != heads) {
                throw g.error(att.query().node(), layerHeads == 0 ? "the number of heads cannot be read from " + where
                        + " (no constant Reshape or score scale, and the width " + width + " is not a multiple of 64)"
                        : where + " has " + layerHeads + " heads, earlier layers " + heads);
            }
            heads = layerHeads;
            addDense(p + "attention.self.query", att.query());
            addDense(p + "attention.self.key", att.key());
            addDense(p + "attention.self.value", att.value());
            String sum = residual(p + "attention.output.dense", att.output(), h, where + "'s attention output");
            LayerNormPattern.Match ln1 = LayerNormPattern.match(g, sum, width, where + "'s attention output");
            addNorm(p + "attention.output.LayerNorm", ln1);
            List<OnnxNode> up = dense(ln1.output());
            if (up.size() != 1) {
                OnnxNode at = up.isEmpty() ? g.producer(ln1.output()) : up.get(1);
                throw g.error(at, up.isEmpty() ? "no intermediate dense layer follows the attention LayerNorm of " + where
                        : "cannot place it: a second dense layer reads the attention LayerNorm of " + where);
            }
            checkReaders(ln1.output(), 2, where + "'s attention LayerNorm");
            LinearPattern.Match ffIn = LinearPattern.match(g, up.get(0), ln1.output());
            if (ffIn.in() != width || inner != 0 && ffIn.out() != inner) {
                throw g.error(ffIn.node(), "cannot place it: the intermediate dense of " + where + " has weight "
                        + ffIn.weight().describe());
            }
            inner = ffIn.out();
            addDense(p + "intermediate.dense", ffIn);
            ActivationPattern.Match a = ActivationPattern.match(g, ffIn.output(), where + "'s intermediate dense");
            if (act != null && !act.equals(a.hiddenAct())) {
                throw g.error(a.dense(), where + " uses activation " + a.hiddenAct() + ", earlier layers " + act);
            }
            act = a.hiddenAct();
            LinearPattern.Match ffOut = LinearPattern.match(g, a.dense(), a.output());
            if (ffOut.in() != inner || ffOut.out() != width) {
                throw g.error(ffOut.node(), "cannot place it: the output dense of " + where + " has weight "
                        + ffOut.weight().describe());
            }
            String sum2 = residual(p + "output.dense", ffOut, ln1.output(), where + "'s output dense");
            LayerNormPattern.Match ln2 = LayerNormPattern.match(g, sum2, width, where + "'s output");
            addNorm(p + "output.LayerNorm", ln2);
            h = ln2.output();
            layer++;
        }
        if (layer == 0) {
            OnnxNode at = g.dataConsumers(h).stream().findFirst().orElse(g.producer(h));
            throw g.error(at, "cannot place it: expected the first encoder layer's query, key and value after the "
                    + "embedding LayerNorm");
        }
        pooler(h, width);
        checkAllPlaced(h);
        return new BertImportPlan(width, layer, heads, inner, emb.words().dims()[0], emb.positions().dims()[0],
                emb.tokenTypes() == null ? 1 : emb.tokenTypes().dims()[0], eps, act, List.copyOf(tensors),
                emb.positionIds());
    }

    private List<OnnxNode> dense(String v) {
        List<OnnxNode> out = new ArrayList<>();
        for (OnnxNode n : g.dataConsumers(v)) {
            if (LinearPattern.isDense(g, n) && n.input(0).equals(v)) {
                out.add(n);
            }
        }
        return out;
    }

    // a block's input is read by its dense layers and the residual sum, nothing else
    private void checkReaders(String v, int expected, String what) throws FormatException {
        List<OnnxNode> uses = g.dataConsumers(v);
        if (uses.size() != expected) {
            for (OnnxNode n : uses) {
                if (!LinearPattern.isDense(g, n) && !n.opType().equals("Add")) {
                    throw g.error(n, "cannot place it: it reads " + what);
                }
            }
            throw g.error(uses.get(0), "cannot place it: " + uses.size() + " nodes read " + what + ", expected "
                    + expected);
        }
    }

    // dense(x) + bias + skip in any order; a bias found in the sum rather than after the product is the layer's bias
    private String residual(String name, LinearPattern.Match lin, String skip, String where) throws FormatException {
        SumPattern.Match sum = SumPattern.from(g, lin.output(), Set.of(lin.output(), skip));
        List<String> rest = new ArrayList<>(sum.terms());
        boolean ok = rest.remove(lin.output()) && rest.remove(skip);
        LinearPattern.Match withBias = lin;
        if (ok && rest.size() == 1 && lin.bias() == null) {
            OnnxTensor b = g.constant(rest.get(0));
            LinearPattern.checkBias(g, lin.node(), b, lin.out());
            withBias = lin.withBias(b);
            rest.clear();
        }
        if (!ok || !rest.isEmpty()) {
            OnnxNode fallback = g.dataConsumers(lin.output()).stream().findFirst().orElse(lin.node());
            throw g.error(SumPattern.culprit(g, sum, Set.of(lin.output(), skip), fallback),
                    "cannot place it: expected the residual sum of " + where + " and the block's input");
        }
        SumPattern.place(g, sum);
        addDense(name, withBias);
        return sum.output();
    }

    // BertModel's pooler: the first token's state through a dense layer and tanh
    private void pooler(String h, long width) throws FormatException {
        for (OnnxNode n : g.dataConsumers(h)) {
            Double index = g.scalar(n.input(1));
            if (!n.opType().equals("Gather") || !n.input(0).equals(h) || n.intAttribute("axis", 0) != 1
                    || index == null || index != 0) {
                continue;
            }
            List<OnnxNode> d = dense(n.output());
            if (d.size() != 1 || g.dataConsumers(n.output()).size() != 1) {
                continue;
            }
            LinearPattern.Match lin = LinearPattern.match(g, d.get(0), n.output());
            List<OnnxNode> uses = g.dataConsumers(lin.output());
            if (lin.in() != width || lin.out() != width || uses.size() != 1 || !uses.get(0).opType().equals("Tanh")) {
                throw g.error(d.get(0), "cannot place it: expected the pooler's dense layer and Tanh");
            }
            g.place(n);
            g.place(uses.get(0));
            addDense("pooler.dense", lin);
            return;
        }
    }

    private void checkAllPlaced(String h) throws FormatException {
        Set<OnnxNode> head = readersOf(h);
        for (OnnxNode n : g.graph().nodes()) {
            if (!g.isPlaced(n) && !head.contains(n) && (!PLUMBING.contains(n.opType()) || !n.domain().isEmpty())) {
                throw g.error(n, "cannot place it: it is not part of a BERT-family encoder");
            }
        }
        for (OnnxTensor t : g.graph().initializers().values()) {
            if (t.type().isWeightFloat() && t.elementCount() > 1 && !used.containsKey(t)) {
                OnnxNode reader = g.consumers(t.name()).stream().findFirst().orElse(null);
                String problem = "its weight " + t.describe() + " matches no BERT weight";
                throw reader == null ? g.error("initializer " + t.describe() + " is read by no node")
                        : g.error(reader, "cannot place it: " + problem);
            }
        }
    }

    // the nodes computing from the encoder's output (pooling heads), which need no weights of their own
    private Set<OnnxNode> readersOf(String h) {
        Set<OnnxNode> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> values = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(h));
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (!values.add(v)) {
                continue;
            }
            for (OnnxNode n : g.consumers(v)) {
                if (seen.add(n)) {
                    todo.addAll(n.outputs());
                }
            }
        }
        return seen;
    }

    private void add(String name, OnnxTensor t) {
        used.put(t, name);
        tensors.add(new BertImportPlan.Tensor(name, t.dims().clone(), t, false, t.type()));
    }

    private void addNorm(String prefix, LayerNormPattern.Match m) {
        add(prefix + ".weight", m.weight());
        add(prefix + ".bias", m.bias());
    }

    private void addDense(String prefix, LinearPattern.Match m) {
        OnnxTensor w = m.weight();
        used.put(w, prefix + ".weight");
        tensors.add(new BertImportPlan.Tensor(prefix + ".weight", new long[] {m.out(), m.in()}, w, m.storedInOut(),
                w.type()));
        if (m.bias() != null) {
            add(prefix + ".bias", m.bias());
        } else {
            tensors.add(new BertImportPlan.Tensor(prefix + ".bias", new long[] {m.out()}, null, false, w.type()));
        }
    }
}
