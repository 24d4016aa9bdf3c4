package dev.jllm.eval.metrics;

/**
 * One aggregated metric.
 *
 * @param value the metric
 * @param stderr its standard error, NaN where the harness writes {@code "N/A"}
 * @param samples the documents it was computed over
 */
public record MetricValue(double value, double stderr, int samples) {
}
