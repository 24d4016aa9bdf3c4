package dev.jllm.formats.template;

/**
 * The characters and items one rendering may build in total, across all intermediate strings and
 * lists, so that a loop building large values cannot run for minutes. Kept per thread for the
 * rendering running on it.
 */
final class WorkBudget {
    /** Total characters or items a rendering may build. */
    static final long MAX_WORK = 400_000_000L;

    private static final ThreadLocal<long[]> USED = ThreadLocal.withInitial(() -> new long[1]);

    private WorkBudget() {
    }

    static void reset() {
        USED.get()[0] = 0;
    }

    /** Counts {@code amount} units of work, failing once the budget is spent. */
    static void charge(long amount) {
        long[] used = USED.get();
        used[0] += amount;
        if (used[0] > MAX_WORK) {
            throw TemplateException.limit("rendering built more than " + MAX_WORK + " characters of intermediate values");
        }
    }
}
