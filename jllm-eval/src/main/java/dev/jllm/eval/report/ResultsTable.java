package dev.jllm.eval.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The markdown table lm-evaluation-harness prints after a run ({@code make_table}): one row per metric of each
 * entry of {@code results} (or {@code groups}), columns Tasks, Version, Filter, n-shot, Metric, the higher-is-better
 * arrow, Value, ±, Stderr; name and version only on an entry's first row; values with four decimals. Laid out as
 * pytablewriter lays it out: headers centred, numbers right-aligned, text left-aligned, columns at least three wide.
 */
public final class ResultsTable {
    private static final String[] HEADERS = {"", "Version", "Filter", "n-shot", "Metric", "", "Value", "", "Stderr"};
    private static final boolean[] RIGHT = {false, true, false, true, false, false, true, false, true};

    private ResultsTable() {
    }

    /**
     * The table of {@code tree}'s {@code column} ({@code results} or {@code groups}), as {@link ResultsJson#tree}
     * builds it; empty when the tree has no such entry.
     */
    @SuppressWarnings("unchecked")
    public static String render(Map<String, Object> tree, String column) {
        Map<String, Object> entries = (Map<String, Object>) tree.get(column);
        if (entries == null || entries.isEmpty()) {
            return "";
        }
        Map<String, Object> versions = (Map<String, Object>) tree.get("versions");
        Map<String, Object> nShot = (Map<String, Object>) tree.get("n-shot");
        Map<String, Object> higher = (Map<String, Object>) tree.get("higher_is_better");
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            Map<String, Object> dic = (Map<String, Object>) e.getValue();
            String name = (String) dic.getOrDefault("alias", e.getKey());
            String version = versions.containsKey(e.getKey()) ? pythonNumber(versions.get(e.getKey())) : "    N/A";
            String n = nShot.containsKey(e.getKey()) ? String.valueOf(nShot.get(e.getKey())) : " ";
            Map<String, Object> hib = (Map<String, Object>) higher.getOrDefault(e.getKey(), Map.of());
            List<String> keys = new ArrayList<>(dic.keySet());
            keys.sort(null);
            for (String key : keys) {
                int comma = key.indexOf(',');
                if (key.equals("alias") || comma < 0) {
                    continue;
                }
                String metric = key.substring(0, comma);
                String filter = key.substring(comma + 1);
                if (metric.endsWith("_stderr")) {
                    continue;
                }
                Object hb = hib.get(metric);
                String arrow = Boolean.TRUE.equals(hb) ? "↑" : Boolean.FALSE.equals(hb) ? "↓" : "";
                Object se = dic.get(metric + "_stderr," + filter);
                String value = format(dic.get(key));
                if (se != null) {
                    rows.add(new String[] {name, version, filter, n, metric, arrow, value, "±",
                        se instanceof Number ? format(se) : "   N/A"});
                } else {
                    rows.add(new String[] {name, version, filter, n, metric, arrow, value, "", ""});
                }
                name = "";
                version = "";
            }
        }
        String[] headers = HEADERS.clone();
        headers[0] = column.equals("groups") ? "Groups" : "Tasks";
        return layout(headers, rows);
    }

    private static String format(Object v) {
        return v instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(v);
    }

    /** A number as Python's {@code str} writes it: {@code 1.0} for a float, {@code 2} for an int. */
    private static String pythonNumber(Object v) {
        return v instanceof Double d ? (d == Math.rint(d) && Math.abs(d) < 1e16 ? String.format(Locale.ROOT, "%.1f", d)
                : String.valueOf(d)) : String.valueOf(v);
    }

    private static String layout(String[] headers, List<String[]> rows) {
        int[] width = new int[headers.length];
        for (int c = 0; c < headers.length; c++) {
            width[c] = Math.max(3, headers[c].length());
            for (String[] r : rows) {
                width[c] = Math.max(width[c], r[c].codePointCount(0, r[c].length()));
            }
        }
        StringBuilder b = new StringBuilder("|");
        for (int c = 0; c < headers.length; c++) {
            int pad = width[c] - headers[c].length();
            b.append(" ".repeat(pad / 2)).append(headers[c]).append(" ".repeat(pad - pad / 2)).append('|');
        }
        b.append("\n|");
        for (int c = 0; c < headers.length; c++) {
            b.append(RIGHT[c] ? "-".repeat(width[c] - 1) + ":" : "-".repeat(width[c])).append('|');
        }
        b.append('\n');
        for (String[] r : rows) {
            b.append('|');
            for (int c = 0; c < headers.length; c++) {
                String pad = " ".repeat(width[c] - r[c].codePointCount(0, r[c].length()));
                b.append(RIGHT[c] ? pad + r[c] : r[c] + pad).append('|');
            }
            b.append('\n');
        }
        return b.toString();
    }
}
