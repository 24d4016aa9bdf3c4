package dev.jllm.runtime.stop;

import java.util.List;

/**
 * Watches streamed text for stop strings. Each decoded piece goes to {@link #feed}, which returns the text
 * that is safe to show now and holds back any tail that could still grow into a stop string. When a stop
 * string completes, the text before it is returned and the stop string itself is not (as OpenAI does).
 *
 * <p>Which stop wins: the occurrence that <em>ends</em> first in the text, and among those ending at the
 * same place the one that starts first (the longest). That is the first moment a generator checking after
 * every character could stop, so the outcome does not depend on how the text is split into pieces. It
 * differs from "earliest start" only when one stop string contains another in its middle (stops
 * {@code "abc"} and {@code "b"} on text {@code "abc"} stop at {@code "b"}).
 *
 * <p>Matching is exact on UTF-16 code units; stop strings must be well-formed (no lone surrogates), so a
 * held-back tail never begins inside a surrogate pair. Not thread-safe: one instance per generation.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    /**
     * Watches for {@code stops} (may be empty).
     *
     * @throws IllegalArgumentException if a stop string is null, empty or holds a lone surrogate
     */
    public StopStrings(List<String> stops) {
        if (stops == null) {
            throw new IllegalArgumentException("stop strings must not be null");
        }
        for (int i = 0; i < stops.size(); i++) {
            String s = stops.get(i);
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop string " + i + " must not be null or empty");
            }
            if (hasLoneSurrogate(s)) {
                throw new IllegalArgumentException("stop string " + i + " holds a lone UTF-16 surrogate");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** The stop strings watched for. */
    public List<String> stops() {
        return stops;
    }

    /**
     * The outcome of one {@link #feed}.
     *
     * @param text    text to emit now (possibly empty)
     * @param matched the stop string that completed, or null if generation goes on
     */
    public record Step(String text, String matched) {
        /** Whether a stop string completed. */
        public boolean stopped() {
            return matched != null;
        }
    }

    /**
     * Adds the next piece of decoded text.
     *
     * @throws IllegalStateException if a stop string already completed
     */
    public Step feed(String piece) {
        if (matched != null) {
            throw new IllegalStateException("stop string \"" + matched + "\" already completed");
        }
        if (piece == null) {
            throw new IllegalArgumentException("text piece must not be null");
        }
        held.append(piece); // held was only a proper prefix of a stop string: short

        // the earliest end, then the earliest start
        int bestStart = -1;
        int bestEnd = Integer.MAX_VALUE;
        String best = null;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at < 0) {
                continue;
            }
            int end = at + s.length();
            if (end < bestEnd || end == bestEnd && at < bestStart) {
                bestStart = at;
                bestEnd = end;
                best = s;
            }
        }
        if (best != null) {
            matched = best;
            String before = held.substring(0, bestStart);
            held.setLength(0);
            return new Step(before, best);
        }
        int keep = heldBackStart();
        String out = held.substring(0, keep);
        held.delete(0, keep);
        return new Step(out, null);
    }

    /**
     * Ends the stream without a stop string (end-of-sequence token, length limit): returns the held-back
     * tail, which can no longer become a stop string. Returns "" after a stop string completed.
     */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** Whether a stop string completed. */
    public boolean stopped() {
        return matched != null;
    }

    /** The stop string that completed, or null. */
    public String matched() {
        return matched;
    }

    /** The earliest index from which the held text is a proper prefix of some stop string. */
    private int heldBackStart() {
        int n = held.length();
        for (int start = Math.max(0, n - longestStop() + 1); start < n; start++) {
            for (String s : stops) {
                int len = n - start;
                if (len < s.length() && regionEquals(start, s, len)) {
                    return start;
                }
            }
        }
        return n;
    }

    private boolean regionEquals(int start, String s, int len) {
        for (int i = 0; i < len; i++) {
            if (held.charAt(start + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int longestStop() {
        int m = 0;
        for (String s : stops) {
            m = Math.max(m, s.length());
        }
        return Math.max(m, 1);
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
