package dev.jllm.eval.metrics;

import java.util.List;

/**
 * The harness's aggregations: the mean of per-document values with {@code mean_stderr} (sample standard deviation,
 * n−1 in the denominator, over √n), and groups as the size-weighted mean of their members with
 * {@code pooled_sample_stderr}.
 */
public final class Aggregation {
    private Aggregation() {
    }

    /** The mean of {@code values} and its standard error (NaN for fewer than two values). */
    public static MetricValue mean(double[] values) {
        int n = values.length;
        if (n == 0) {
            return new MetricValue(Double.NaN, Double.NaN, 0);
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / n;
        if (n < 2) {
            return new MetricValue(mean, Double.NaN, n);
        }
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new MetricValue(mean, Math.sqrt(squares / (n - 1)) / Math.sqrt(n), n);
    }

    /**
     * The size-weighted mean of members' values, with the pooled standard error
     * {@code sqrt(Σ (nᵢ−1)·seᵢ²·nᵢ / (Σ nᵢ − k) / Σ nᵢ)} (NaN if any member's is NaN or the sizes leave no degree
     * of freedom).
     */
    public static MetricValue weighted(List<MetricValue> members) {
        double weightedSum = 0;
        long total = 0;
        double pooled = 0;
        boolean known = true;
        for (MetricValue m : members) {
            weightedSum += m.value() * m.samples();
            total += m.samples();
            if (Double.isNaN(m.stderr())) {
                known = false;
            } else {
                pooled += (m.samples() - 1) * m.stderr() * m.stderr() * m.samples();
            }
        }
        if (total == 0) {
            return new MetricValue(Double.NaN, Double.NaN, 0);
        }
        long freedom = total - members.size();
        double stderr = known && freedom > 0 ? Math.sqrt(pooled / freedom / total) : Double.NaN;
        return new MetricValue(weightedSum / total, stderr, Math.toIntExact(total));
    }
}
