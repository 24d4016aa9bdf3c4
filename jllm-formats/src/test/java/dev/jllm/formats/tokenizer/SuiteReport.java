package dev.jllm.formats.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Collects every failing case of a suite, then fails once listing them all. */
final class SuiteReport {
    private final String suite;
    private final List<String> failures = new ArrayList<>();
    private int passed;

    SuiteReport(String suite) {
        this.suite = suite;
    }

    void check(String name, String input, int[] expected, int[] got) {
        if (Arrays.equals(expected, got)) {
            passed++;
        } else {
            failures.add(name + "\n    input:    " + escape(input) + "\n    expected: " + Arrays.toString(expected)
                    + "\n    got:      " + Arrays.toString(got));
        }
    }

    void check(String name, String input, String expected, String got) {
        if (expected.equals(got)) {
            passed++;
        } else {
            failures.add(name + "\n    input:    " + escape(input) + "\n    expected: " + escape(expected)
                    + "\n    got:      " + escape(got));
        }
    }

    void fail(String name, String input, Throwable e) {
        failures.add(name + "\n    input:    " + escape(input) + "\n    threw:    " + e);
    }

    void assertAllPassed() {
        String summary = suite + ": " + passed + " passed, " + failures.size() + " failed";
        System.out.println(summary);
        if (!failures.isEmpty()) {
            throw new AssertionError(summary + "\n  " + String.join("\n  ", failures));
        }
        if (passed == 0) {
            throw new AssertionError(summary + ": no case ran (a misspelled entry or key?)");
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c);
            }
        }
        return sb.length() > 200 ? sb.substring(0, 200) + "..." : sb.toString();
    }
}
