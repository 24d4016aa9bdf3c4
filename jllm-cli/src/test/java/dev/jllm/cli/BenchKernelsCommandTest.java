package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BenchKernelsCommandTest {
    private static final Pattern FIELD = Pattern.compile("\"([a-z_]+)\":(\"[^\"]*\"|-?[0-9.eE+-]+)");


    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    @Test
    void jsonLinesCarryTheDocumentedKeys() {
        CommandRun r = run("bench-kernels", "--json", "--types", "F32", "--sizes", "64x64,3x32", "--threads", "1,2",
                "--seconds", "0.01", "--memory-mib", "4");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(4, lines.size(), r.out());
        for (String line : lines) {
            assertTrue(line.startsWith("{") && line.endsWith("}"), line);
            Matcher m = FIELD.matcher(line);
            java.util.Map<String, String> fields = new java.util.HashMap<>();
            while (m.find()) {
                fields.put(m.group(1), m.group(2));
            }
            for (String key : List.of("type", "rows", "cols", "threads", "gbps", "bandwidth_gbps")) {
                assertTrue(fields.containsKey(key), key + " missing in " + line);
            }
            assertEquals("\"F32\"", fields.get("type"));
            assertTrue(Double.parseDouble(fields.get("gbps")) > 0, line);
            assertTrue(Double.parseDouble(fields.get("bandwidth_gbps")) > 0, line);
            assertTrue(Integer.parseInt(fields.get("threads")) >= 1, line);
        }
    }

    @Test
    void q8_0AndQ4_0AreMeasuredInTheFileLayoutAndRepacked() {
        CommandRun r = run("bench-kernels", "--json", "--types", "Q8_0,Q4_0", "--sizes", "32x64", "--threads", "1",
                "--seconds", "0.01", "--memory-mib", "1");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
        // the interleaved copies are made where float vectors have 16 lanes (AVX-512) or 8 (AVX2)
        boolean repacks = dev.jllm.core.linalg.InterleavedMatrix.runsOnThisMachine();
        assertEquals(repacks ? 4 : 2, lines.size(), r.out());
        for (int i = 0; i < lines.size(); i++) {
            String layout = repacks && i % 2 == 1 ? "repacked" : "file";
            assertTrue(lines.get(i).contains("\"layout\":\"" + layout + "\""), lines.get(i));
        }
    }

    @Test
    void tableHasOneRowPerMeasurement() {
        CommandRun r = run("bench-kernels", "--types", "F32", "--sizes", "16x32", "--threads", "1",
                "--seconds", "0.01", "--memory-mib", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("% read"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("F32") && l.contains("16x32")), r.out());
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        CommandRun r = run("bench-kernels", "--sizes", "64by64", "--memory-mib", "1");
        assertFalse(r.exit() == 0);
        assertTrue(r.err().contains("--sizes"), r.err());
        r = run("bench-kernels", "--threads", "0");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--threads"), r.err());
        r = run("bench-kernels", "--types", "Q8_K");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("Q8_K"), r.err());
    }
}
