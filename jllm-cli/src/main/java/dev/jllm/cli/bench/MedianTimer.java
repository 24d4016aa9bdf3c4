package dev.jllm.cli.bench;

import java.util.Arrays;

/**
 * Times one action many times and reports the median, which a machine shared with other work
 * disturbs less than the mean.
 */
public final class MedianTimer {
    private MedianTimer() {
    }

    /**
     * Runs {@code action} for at least {@code warmupSeconds} untimed (and at least twice), then
     * times single runs until {@code seconds} have passed and at least {@code minRuns} were timed.
     *
     * @return the median duration of one run in nanoseconds
     */
    public static long medianNanos(Runnable action, double warmupSeconds, double seconds, int minRuns) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int warm = 0;
        while (warm < 2 || System.nanoTime() < warmEnd) {
            action.run();
            warm++;
        }
        long[] times = new long[64];
        int n = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (n < minRuns || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            action.run();
            long t = System.nanoTime() - t0;
            if (n == times.length) {
                times = Arrays.copyOf(times, 2 * n);
            }
            times[n++] = t;
        }
        Arrays.sort(times, 0, n);
        return times[n / 2];
    }
}
