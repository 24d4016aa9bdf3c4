package dev.jllm.runtime.sampling;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately plain re-statement of the sampling chain for tests: full sorts, explicit softmax in
 * double, penalties from an explicit token list. Shares no code with the sampler.
 */
final class ReferenceSampling {
    private ReferenceSampling() {
    }

    record Token(int id, float logit) {
    }

    /** Bias then penalties over the last penaltyLastN of history, in float as the spec says. */
    static float[] processed(float[] logits, SamplingParams p, List<Integer> history) {
        float[] x = logits.clone();
        for (Map.Entry<Integer, Float> e : p.logitBias().entrySet()) {
            x[e.getKey()] += e.getValue();
        }
        int n = p.penaltyLastN();
        boolean on = n != 0 && (p.repetitionPenalty() != 1 || p.presencePenalty() != 0
                || p.frequencyPenalty() != 0);
        if (!on) {
            return x;
        }
        List<Integer> window = n < 0 ? history : history.subList(Math.max(0, history.size() - n), history.size());
        Map<Integer, Integer> counts = new HashMap<>();
        for (int t : window) {
            counts.merge(t, 1, Integer::sum);
        }
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            int t = e.getKey();
            int c = e.getValue();
            float l = x[t];
            if (p.repetitionPenalty() != 1) {
                l = l > 0 ? l / p.repetitionPenalty() : l * p.repetitionPenalty();
            }
            l -= c * p.frequencyPenalty() + p.presencePenalty();
            x[t] = l;
        }
        return x;
    }

    /** Finite tokens, best first: higher logit, then lower id. */
    static List<Token> ranked(float[] x) {
        List<Token> all = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] != Float.NEGATIVE_INFINITY) {
                all.add(new Token(i, x[i]));
            }
        }
        all.sort((a, b) -> a.logit() != b.logit() ? (a.logit() > b.logit() ? -1 : 1) : Integer.compare(a.id(), b.id()));
        return all;
    }

    static double[] softmax(List<Token> ts, double temperature) {
        double m = Double.NEGATIVE_INFINITY;
        for (Token t : ts) {
            m = Math.max(m, t.logit());
        }
        double[] p = new double[ts.size()];
        double z = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((ts.get(i).logit() - m) / temperature);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    /** The surviving tokens (best first) and their probabilities at the temperature. */
    static Candidates candidates(float[] logits, SamplingParams p, List<Integer> history) {
        float[] x = processed(logits, p, history);
        List<Token> c = ranked(x);
        if (p.temperature() == 0) {
            return new Candidates(new int[] {c.get(0).id()}, new double[] {1});
        }
        if (p.topK() > 0 && p.topK() < c.size()) {
            c = new ArrayList<>(c.subList(0, p.topK()));
        }
        if (p.topP() < 1) {
            double[] q = softmax(c, 1);
            double cum = 0;
            int keep = c.size();
            for (int i = 0; i < q.length; i++) {
                cum += q[i];
                if (cum >= p.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            c = new ArrayList<>(c.subList(0, keep));
        }
        if (p.minP() > 0) {
            double[] q = softmax(c, 1);
            List<Token> kept = new ArrayList<>();
            for (int i = 0; i < q.length; i++) {
                if (q[i] >= p.minP() * q[0]) {
                    kept.add(c.get(i));
                }
            }
            c = kept;
        }
        int[] ids = new int[c.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = c.get(i).id();
        }
        return new Candidates(ids, softmax(c, p.temperature()));
    }

    /** log-softmax in double over every finite logit. */
    static double[] logSoftmax(float[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            m = Math.max(m, v);
        }
        double z = 0;
        for (float v : x) {
            z += Math.exp(v - m);
        }
        double lz = Math.log(z);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - m - lz;
        }
        return out;
    }
}
