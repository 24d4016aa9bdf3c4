package dev.jllm.core.autograd;

import dev.jllm.core.ops.LaneSum;
import dev.jllm.core.ops.VectorExp;
import static dev.jllm.core.autograd.VectorMath.F;
import static dev.jllm.core.autograd.VectorMath.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The language-modelling loss: mean over rows of −log softmax(logits)[target], with a fused,
 * numerically stable log-softmax (the row maximum is subtracted before exponentiating). Rows whose
 * target is the ignore index (padding, prompt tokens) count neither in the sum nor in the mean.
 */
public final class CrossEntropy {
    private CrossEntropy() {
    }

    /**
     * The mean cross-entropy of the rows of {@code logits} ([..., V]) against {@code targets} (one
     * per row). With every target ignored the loss is 0 and no gradient flows.
     *
     * @param ignoreIndex a target value that marks a row to skip (−100 in PyTorch's convention)
     * @return a scalar (shape [])
     * @throws IllegalArgumentException if there is not one target per row or a target that is
     *     not ignored lies outside [0, V)
     */
    public static Variable loss(Tape tape, Variable logits, int[] targets, int ignoreIndex) {
        int n = logits.rows();
        int vocab = logits.cols();
        if (targets.length != n) {
            throw new IllegalArgumentException("cross-entropy of " + logits + " needs " + n + " targets, got "
                    + targets.length);
        }
        int counted = 0;
        for (int r = 0; r < n; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            if (targets[r] < 0 || targets[r] >= vocab) {
                throw new IllegalArgumentException("target " + targets[r] + " of row " + r + " is outside [0, " + vocab
                        + ") and is not the ignore index " + ignoreIndex);
            }
            counted++;
        }
        int[] t = targets.clone(); // the caller may refill its array before backward runs
        boolean grad = tape.needsGrad(logits);
        Variable loss = tape.output(grad, new int[0]);
        float[] x = logits.value();
        float[] lse = tape.scratch(n);
        float[] rowLoss = tape.scratch(n);
        tape.parallel(n, vocab, (from, to) -> {
            for (int r = from; r < to; r++) {
                if (t[r] == ignoreIndex) {
                    rowLoss[r] = 0f;
                    continue;
                }
                lse[r] = logSumExp(x, r * vocab, vocab);
                rowLoss[r] = lse[r] - x[r * vocab + t[r]];
            }
        });
        double sum = 0;
        for (int r = 0; r < n; r++) {
            sum += rowLoss[r]; // in order of rows: the same at any thread count
        }
        int count = counted;
        loss.value()[0] = count == 0 ? 0f : (float) (sum / count);
        if (grad && count > 0) {
            tape.record(() -> {
                float[] gl = loss.grad();
                if (gl == null) {
                    return;
                }
                float g = gl[0] / count;
                float[] gx = tape.gradOf(logits);
                tape.parallel(n, vocab, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        if (t[r] != ignoreIndex) {
                            // d/dx_j = g·(softmax_j − [j = target])
                            softmaxInto(x, gx, r * vocab, vocab, lse[r], g);
                            gx[r * vocab + t[r]] -= g;
                        }
                    }
                });
            });
        }
        return loss;
    }

    /** log Σ exp(x[o .. o + len)), with the maximum taken out first. */
    private static float logSumExp(float[] x, int o, int len) {
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        int bound = F.loopBound(len);
        for (; i < bound; i += L) {
            maxV = maxV.max(FloatVector.fromArray(F, x, o + i));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) {
            max = Math.max(max, x[o + i]);
        }
        FloatVector sumV = FloatVector.zero(F);
        for (i = 0; i < bound; i += L) {
            sumV = sumV.add(VectorExp.exp(FloatVector.fromArray(F, x, o + i).sub(max)));
        }
        float sum = LaneSum.of(sumV);
        for (; i < len; i++) {
            sum += VectorExp.exp(x[o + i] - max);
        }
        return max + (float) Math.log(sum);
    }

    /** gx[o + j] += g·exp(x[o + j] − lse). */
    private static void softmaxInto(float[] x, float[] gx, int o, int len, float lse, float g) {
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += L) {
            VectorExp.exp(FloatVector.fromArray(F, x, o + i).sub(lse))
                    .fma(FloatVector.broadcast(F, g), FloatVector.fromArray(F, gx, o + i)).intoArray(gx, o + i);
        }
        for (; i < len; i++) {
            gx[o + i] = Math.fma(VectorExp.exp(x[o + i] - lse), g, gx[o + i]);
        }
    }
}
