package dev.jllm.runtime.stop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Streaming stop-string detection against a brute-force search over the whole text. */
class StopStringsTest {

    /** Output and matched stop of the brute force: all occurrences, earliest end, then earliest start. */
    record Outcome(String text, String matched) {
    }

    static Outcome bruteForce(String text, List<String> stops) {
        int bestEnd = Integer.MAX_VALUE;
        int bestStart = Integer.MAX_VALUE;
        String best = null;
        for (String s : stops) {
            for (int start = 0; start + s.length() <= text.length(); start++) {
                if (text.startsWith(s, start)) {
                    int end = start + s.length();
                    if (end < bestEnd || end == bestEnd && start < bestStart) {
                        bestEnd = end;
                        bestStart = start;
                        best = s;
                    }
                }
            }
        }
        return best == null ? new Outcome(text, null) : new Outcome(text.substring(0, bestStart), best);
    }

    /** The shortest suffix of {@code fed} that must be held back: the longest suffix that is a proper prefix. */
    static int mustHold(String fed, List<String> stops) {
        for (int start = 0; start < fed.length(); start++) {
            String tail = fed.substring(start);
            for (String s : stops) {
                if (tail.length() < s.length() && s.startsWith(tail)) {
                    return tail.length();
                }
            }
        }
        return 0;
    }

    private static Outcome stream(List<String> pieces, List<String> stops) {
        StopStrings w = new StopStrings(stops);
        StringBuilder out = new StringBuilder();
        StringBuilder fed = new StringBuilder();
        for (String piece : pieces) {
            fed.append(piece);
            StopStrings.Step step = w.feed(piece);
            out.append(step.text());
            if (step.stopped()) {
                assertTrue(w.stopped());
                return new Outcome(out.toString(), step.matched());
            }
            // nothing is held back that could not start a stop string, and everything fed is accounted for
            assertEquals(fed.length() - out.length(), mustHold(fed.toString(), stops), "held back after " + fed);
            assertTrue(fed.toString().startsWith(out.toString()));
        }
        out.append(w.flush());
        return new Outcome(out.toString(), null);
    }

    /** Splits at code-point boundaries into 1..4 code points per piece (decoders emit whole characters). */
    private static List<String> split(String text, Random r) {
        List<String> pieces = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int end = i;
            int take = 1 + r.nextInt(4);
            for (int k = 0; k < take && end < text.length(); k++) {
                end = text.offsetByCodePoints(end, 1);
            }
            pieces.add(text.substring(i, end));
            if (r.nextInt(10) == 0) {
                pieces.add(""); // a token that decodes to nothing yet
            }
            i = end;
        }
        return pieces;
    }

    private static String randomText(Random r, String[] alphabet, int maxLen) {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(maxLen + 1);
        for (int i = 0; i < n; i++) {
            b.append(alphabet[r.nextInt(alphabet.length)]);
        }
        return b.toString();
    }

    @Test
    void streamingAgreesWithBruteForceOnRandomTextsAndSplits() {
        Random r = new Random(31);
        String[] alphabet = {"a", "b", "c", "é", "\uD83D\uDE00", "\n"}; // includes a surrogate pair
        int stopped = 0;
        for (int trial = 0; trial < 3000; trial++) {
            List<String> stops = new ArrayList<>();
            int count = 1 + r.nextInt(3);
            for (int i = 0; i < count; i++) {
                String s = randomText(r, alphabet, 4);
                stops.add(s.isEmpty() ? "a" : s);
            }
            String text = randomText(r, alphabet, 30);
            Outcome expected = bruteForce(text, stops);
            Outcome actual = stream(split(text, r), stops);
            assertEquals(expected, actual, "text=" + text + " stops=" + stops);
            if (expected.matched() != null) {
                stopped++;
            }
        }
        assertTrue(stopped > 500 && stopped < 2900, "the random cases exercise both outcomes: " + stopped);
    }

    @Test
    void stopSpanningSeveralPiecesIsCutAndNotEmitted() {
        StopStrings w = new StopStrings(List.of("</s>"));
        assertEquals(new StopStrings.Step("Hel", null), w.feed("Hel"));
        assertEquals(new StopStrings.Step("lo", null), w.feed("lo<"));
        assertEquals(new StopStrings.Step("", null), w.feed("/s"));
        assertEquals(new StopStrings.Step("", "</s>"), w.feed(">tail"));
        assertEquals("", w.flush());
        assertThrows(IllegalStateException.class, () -> w.feed("more"));
    }

    @Test
    void aFalseStartIsReleasedOnceItCannotMatch() {
        StopStrings w = new StopStrings(List.of("###"));
        assertEquals("a", w.feed("a##").text());
        assertEquals("##b", w.feed("b").text());
        assertEquals("x", w.feed("x#").text());
        assertEquals("#", w.flush());
    }

    @Test
    void overlappingPrefixesAndSeveralStops() {
        // "abab" inside "ababab": the first occurrence ends at 4
        assertEquals(new Outcome("x", "abab"), stream(List.of("xa", "ba", "bab"), List.of("abab")));
        // the stop ending first wins, whatever the split: "b" ends before "abc" does
        assertEquals(new Outcome("a", "b"), stream(List.of("abc"), List.of("abc", "b")));
        assertEquals(new Outcome("a", "b"), stream(List.of("a", "b", "c"), List.of("abc", "b")));
        // same end: the longer (earlier-starting) one
        assertEquals(new Outcome("x", "abc"), stream(List.of("xab", "c"), List.of("bc", "abc")));
        // Unicode: a stop made of a supplementary character and an accented letter
        assertEquals(new Outcome("caf", "é\uD83D\uDE00"),
                stream(List.of("caf", "é", "\uD83D\uDE00", "!"), List.of("é\uD83D\uDE00")));
    }

    @Test
    void withoutStopsEverythingPassesThrough() {
        StopStrings w = new StopStrings(List.of());
        assertEquals(new StopStrings.Step("abc", null), w.feed("abc"));
        assertFalse(w.stopped());
        assertNull(w.matched());
    }

    @Test
    void badStopStringsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new StopStrings(List.of("ok", "\uD83D")));
        assertTrue(e.getMessage().contains("stop string 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("ok")).feed(null));
    }
}
