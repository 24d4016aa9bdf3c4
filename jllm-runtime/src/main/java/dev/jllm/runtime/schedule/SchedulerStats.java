package dev.jllm.runtime.schedule;

/**
 * A snapshot of a scheduler's work, for monitoring.
 *
 * @param active sequences being prefilled or decoded
 * @param queued requests waiting for a free slot
 * @param submitted requests accepted since start
 * @param rejected requests refused because the queue was full
 * @param promptTokens prompt tokens computed (not those reused from a cache)
 * @param generatedTokens tokens generated
 * @param steps batched forward passes run
 * @param busyNanos time spent in those passes and in sampling
 * @param recentTokensPerSecond generated tokens per second over the last few seconds
 */
public record SchedulerStats(int active, int queued, long submitted, long rejected, long promptTokens,
        long generatedTokens, long steps, long busyNanos, double recentTokensPerSecond) {
}
