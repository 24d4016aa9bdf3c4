package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void greedyIdsEqualLlamaCpps(String name) throws Exception {
        assertGreedyIdsEqual(name);
    }

    /**
     * With --repack, Q8_0 decode steps run the interleaved integer kernel on Q8_0-quantized activations: the
     * rounding llama.cpp applies to them, so the ids still agree.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("q8Fixtures")
    void repackedQ8GreedyIdsEqualLlamaCpps(String name) throws Exception {
        assertGreedyIdsEqual(name, "--repack");
    }

    static Stream<String> q8Fixtures() throws Exception {
        return fixtures().filter(n -> n.contains("-Q8_0-"));
    }

    private static void assertGreedyIdsEqual(String name, String... extra) throws Exception {
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
        assertEquals(join(f.path("expectedIds"), " "), run.out().strip(), name);
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
