package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy ids of {@code jllm generate} equal llama.cpp's on the same files. Each fixture in
 * {@code llamacpp-greedy/} was made by tools/llamacpp-check/make-greedy-fixtures.sh: it names the
 * {@code jllm init} and {@code quantize} commands, the file's sha256, and llama.cpp's greedy ids. The test
 * remakes the file, checks it is byte-identical, and runs {@code generate} with the same cache type.
 */
class LlamaCppGreedyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Stream<String> fixtures() throws Exception {
        // surefire runs in the module folder, where the fixtures are sources
        List<String> names;
        try (Stream<Path> files = Files.list(Path.of("src/test/resources/llamacpp-greedy"))) {
            names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
        assertFalse(names.isEmpty(), "no llama.cpp fixtures");
        return names.stream();
    }

    /** With the weights used in place (float activations), every id equals llama.cpp's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void greedyIdsEqualLlamaCpps(String name) throws Exception {
        assertGreedyIdsEqual(name, false, "--no-repack");
    }

    /**
     * Repacked (the default), Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and K-quant decode steps run integer kernels on Q8_0-quantized
     * activations, as llama.cpp does; their rounding, not the same as llama.cpp's to the last bit, may turn a near-tie. The ids equal
     * llama.cpp's up to its first step whose top-1/top-2 logit gap is under {@value #NEAR_TIE}; that step picks
     * llama.cpp's choice or its runner-up, and the rest is not compared.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void repackedGreedyIdsEqualLlamaCppsUpToANearTie(String name) throws Exception {
        assertGreedyIdsEqual(name, true);
    }

    /** A logit gap this small is within the int8 activations' rounding on these tiny random models. */
    private static final double NEAR_TIE = 0.01;

    private static void assertGreedyIdsEqual(String name, boolean untilNearTie, String... extra) throws Exception {
        JsonNode f;
        try (InputStream in = LlamaCppGreedyTest.class.getResourceAsStream("/llamacpp-greedy/" + name)) {
            f = JSON.readTree(in);
        }
        Path model = model(f);
        assertEquals(f.path("model").path("sha256").asText(), sha256(model),
                "jllm init/quantize no longer make the file llama.cpp ran");
        String prompt = join(f.path("promptIds"), ",");
        String cache = f.path("kvCacheKeyType").asText().toLowerCase(Locale.ROOT);
        int count = f.path("expectedIds").size();
        List<String> args = new ArrayList<>(List.of("generate", "-m", model.toString(), "--prompt-ids", prompt,
                "--ids", "--temp", "0", "-n", Integer.toString(count), "--ctx", f.path("contextSize").asText(),
                "--cache-type", cache, "--quiet", "-t", "2"));
        args.addAll(List.of(extra));
        CommandRun run = CommandRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        if (!untilNearTie) {
            assertEquals(join(f.path("expectedIds"), " "), run.out().strip(), name);
            return;
        }
        String[] got = run.out().strip().split(" ");
        for (int i = 0; i < count; i++) {
            int want = f.path("expectedIds").get(i).asInt();
            if (f.path("top1MinusTop2Logit").get(i).asDouble() < NEAR_TIE) {
                int second = f.path("secondIds").get(i).asInt();
                int g = Integer.parseInt(got[i]);
                assertTrue(g == want || g == second, name + " step " + i + " (near-tie): " + g + " is neither "
                        + want + " nor " + second);
                return;
            }
            assertEquals(Integer.toString(want), got[i], name + " step " + i + ": " + run.out().strip());
        }
    }

    private static synchronized Path model(JsonNode f) throws Exception {
        List<String> init = new ArrayList<>();
        f.path("initArgs").forEach(a -> init.add(a.asText()));
        Path base = dir.resolve(String.join("_", init).replace("-", "") + ".gguf");
        if (!Files.exists(base)) {
            init.add(0, "init");
            init.add("-o");
            init.add(base.toString());
            CommandRun r = CommandRun.of(init.toArray(String[]::new));
            assertEquals(0, r.exit(), r.err());
        }
        String type = f.path("quantizeType").asText("");
        if (type.isEmpty() || type.equals("F32")) {
            return base;
        }
        Path quantized = dir.resolve(base.getFileName() + "." + type + ".gguf");
        if (!Files.exists(quantized)) {
            CommandRun r = CommandRun.of("quantize", "-t", type, base.toString(), quantized.toString());
            assertEquals(0, r.exit(), r.err());
        }
        return quantized;
    }

    private static String join(JsonNode array, String sep) {
        List<String> parts = new ArrayList<>();
        array.forEach(n -> parts.add(n.asText()));
        return String.join(sep, parts);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
