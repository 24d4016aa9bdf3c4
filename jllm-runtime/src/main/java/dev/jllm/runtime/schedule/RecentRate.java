package dev.jllm.runtime.schedule;

/**
 * Events per second over a sliding window of the last {@link #WINDOW_NANOS}, kept as per-second
 * buckets so that recording and reading cost the same whatever the rate. Thread-safe.
 */
final class RecentRate {
    static final long WINDOW_NANOS = 10_000_000_000L;
    private static final int BUCKETS = 10;
    private final long[] counts = new long[BUCKETS];
    private final long[] seconds = new long[BUCKETS];

    synchronized void add(long nanoTime, long events) {
        long second = nanoTime / 1_000_000_000L;
        int i = (int) Math.floorMod(second, (long) BUCKETS);
        if (seconds[i] != second) {
            seconds[i] = second;
            counts[i] = 0;
        }
        counts[i] += events;
    }

    /** Events per second over the full seconds of the window before {@code nanoTime}, plus the current one. */
    synchronized double perSecond(long nanoTime) {
        long now = nanoTime / 1_000_000_000L;
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (now - seconds[i] < BUCKETS && seconds[i] <= now) {
                total += counts[i];
            }
        }
        return total / (double) BUCKETS;
    }
}
