package dev.jllm.model.decoder;

import dev.jllm.core.autograd.Activation;
import dev.jllm.core.autograd.Arithmetic;
import dev.jllm.core.autograd.Attention;
import dev.jllm.core.autograd.Bf16Cast;
import dev.jllm.core.autograd.Embedding;
import dev.jllm.core.autograd.Linear;
import dev.jllm.core.autograd.Norms;
import dev.jllm.core.autograd.Reshape;
import dev.jllm.core.autograd.RotaryEmbedding;
import dev.jllm.core.autograd.Tape;
import dev.jllm.core.autograd.Variable;
import dev.jllm.core.ops.RopeTable;
import dev.jllm.model.ModelConfig;

/**
 * The decoder's operations recorded on an autograd {@link Tape}, for training: a batch of equal-length
 * sequences (token ids row after row), every position attending causally within its own sequence, the
 * weights being {@link DecoderParameters}. {@link #forward} gives the logits through the same
 * {@link DecoderDefinition} inference runs.
 */
public final class TapeDecoderMath implements DecoderMath<Variable> {
    private final Tape tape;
    private final ModelConfig config;
    private final DecoderParameters p;
    private final int[] ids;
    private final int seqLen;
    private final int[] positions;
    private final RopeTable rope;
    private final boolean bf16Activations;

    /**
     * Operations over {@code ids.length / seqLen} sequences of {@code seqLen} tokens.
     *
     * @throws IllegalArgumentException if ids is not a whole number of sequences or seqLen exceeds the
     *     model's context
     */
    public TapeDecoderMath(Tape tape, ModelConfig config, DecoderParameters parameters, int[] ids, int seqLen) {
        this(tape, config, parameters, ids, seqLen, false);
    }

    /**
     * As {@link #TapeDecoderMath(Tape, ModelConfig, DecoderParameters, int[], int)}; with
     * {@code bf16Activations} every op's output (and the gradient flowing back into it) is rounded to
     * BF16, as when activations are stored in BF16, while the ops themselves compute in F32.
     */
    public TapeDecoderMath(Tape tape, ModelConfig config, DecoderParameters parameters, int[] ids, int seqLen,
            boolean bf16Activations) {
        this.bf16Activations = bf16Activations;
        if (seqLen <= 0 || ids.length == 0 || ids.length % seqLen != 0 || seqLen > config.contextLength()) {
            throw new IllegalArgumentException(ids.length + " tokens are not whole sequences of " + seqLen
                    + " (at most the context of " + config.contextLength() + ")");
        }
        this.tape = tape;
        this.config = config;
        this.p = parameters;
        this.ids = ids.clone();
        this.seqLen = seqLen;
        this.positions = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            positions[i] = i % seqLen;
        }
        this.rope = config.usesRope() ? new RopeTable(config.rotaryDim(), seqLen, config.ropeTheta(),
                config.ropeScaling().scale(RopeTable.standardFrequencies(config.rotaryDim(), config.ropeTheta())))
                : null;
    }

    /** The logits [tokens, vocab] of the batch, recorded on the tape. */
    public Variable forward() {
        return DecoderDefinition.forward(config, this);
    }

    @Override
    public Variable embed() {
        Variable x = Embedding.lookup(tape, p.tokenEmbedding(), ids);
        if (p.positionEmbedding() != null) {
            x = Arithmetic.add(tape, x, Embedding.lookup(tape, p.positionEmbedding(), positions));
        }
        return cast(x);
    }

    @Override
    public Variable norm(Variable x, int layer, NormSite site) {
        Variable w;
        Variable b;
        if (site == NormSite.FINAL) {
            w = p.outputNorm();
            b = p.outputNormBias();
        } else {
            DecoderParameters.Layer l = p.layers().get(layer);
            w = site == NormSite.ATTENTION ? l.attnNorm() : l.ffnNorm();
            b = site == NormSite.ATTENTION ? l.attnNormBias() : l.ffnNormBias();
        }
        return cast(config.norm() == ModelConfig.Norm.RMS ? Norms.rmsNorm(tape, x, w, config.normEps())
                : Norms.layerNorm(tape, x, w, b, config.normEps()));
    }

    @Override
    public Variable linear(Variable x, int layer, Projection projection) {
        DecoderParameters.Layer l = p.layers().get(layer);
        Variable[] wb = switch (projection) {
            case Q -> new Variable[] {l.wq(), l.bq()};
            case K -> new Variable[] {l.wk(), l.bk()};
            case V -> new Variable[] {l.wv(), l.bv()};
            case OUTPUT -> new Variable[] {l.wo(), l.bo()};
            case GATE -> new Variable[] {l.wGate(), null};
            case UP -> new Variable[] {l.wUp(), l.bUp()};
            case DOWN -> new Variable[] {l.wDown(), l.bDown()};
        };
        Variable y = Linear.linear(tape, x, wb[0]);
        return cast(wb[1] == null ? y : Arithmetic.add(tape, y, wb[1]));
    }

    @Override
    public Variable headNorm(Variable x, int layer, Projection projection) {
        DecoderParameters.Layer l = p.layers().get(layer);
        int heads = projection == Projection.Q ? config.heads() : config.kvHeads();
        Variable perHead = Reshape.of(tape, x, x.rows() * heads, config.headDim());
        Variable normed = Norms.rmsNorm(tape, perHead, projection == Projection.Q ? l.qNorm() : l.kNorm(),
                config.normEps());
        return cast(Reshape.of(tape, normed, x.rows(), heads * config.headDim()));
    }

    @Override
    public Variable rope(Variable x, Projection projection) {
        int heads = projection == Projection.Q ? config.heads() : config.kvHeads();
        return cast(RotaryEmbedding.rope(tape, x, heads, config.headDim(), rope, positions,
                config.positions() == ModelConfig.Positions.ROPE_ADJACENT ? RotaryEmbedding.Layout.ADJACENT
                        : RotaryEmbedding.Layout.HALVES));
    }

    @Override
    public Variable attention(int layer, Variable q, Variable k, Variable v) {
        return cast(Attention.causal(tape, q, k, v, config.heads(), config.kvHeads(), config.headDim(), seqLen,
                config.slidingWindow()));
    }

    @Override
    public Variable add(Variable x, Variable y) {
        return cast(Arithmetic.add(tape, x, y));
    }

    @Override
    public Variable swiglu(Variable gate, Variable up) {
        return cast(Activation.swiglu(tape, gate, up));
    }

    @Override
    public Variable gelu(Variable x) {
        return cast(Activation.gelu(tape, x));
    }

    @Override
    public Variable logits(Variable x) {
        return cast(Linear.linear(tape, x, p.output()));
    }

    private Variable cast(Variable x) {
        return bf16Activations ? Bf16Cast.round(tape, x) : x;
    }
}
