package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import dev.jllm.runtime.embed.Embedder;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm embed} on a BERT from {@code jllm init --arch bert} with BERT's WordPiece vocabulary: each
 * printed line is the vector the library's {@link Embedder} gives that input, for texts, files and JSON
 * lines; bad use is one line on stderr.
 */
class EmbedCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TEXTS = List.of("Hello world!", "", "A longer sentence about cats and dogs.");

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void initBert() {
        model = dir.resolve("bert.gguf");
        CommandRun r = CommandRun.of("init", "--arch", "bert", "--dims", "64,2,4,4,96", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/hf/bert-vocab.txt").toString(), "--seed", "4", "-o",
                model.toString());
        assertEquals(0, r.exit(), r.err());
    }

    private static float[][] library(List<String> texts, Pooling pooling, boolean normalize) throws Exception {
        try (LoadedEncoder loaded = LoadedEncoder.open(model); WorkerPool pool = new WorkerPool(1)) {
            return Embedder.of(loaded, pool, new Embedder.Options(pooling, normalize, 2,
                    loaded.config().maxPositions())).embed(texts);
        }
    }

    private static float[][] parse(String out) throws Exception {
        List<String> lines = out.strip().lines().toList();
        float[][] v = new float[lines.size()][];
        for (int i = 0; i < v.length; i++) {
            JsonNode array = JSON.readTree(lines.get(i));
            assertTrue(array.isArray(), lines.get(i));
            v[i] = new float[array.size()];
            for (int j = 0; j < v[i].length; j++) {
                v[i][j] = array.get(j).floatValue();
            }
        }
        return v;
    }

    private static void assertVectors(float[][] want, float[][] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(64, got[i].length);
            assertArrayEquals(want[i], got[i], 1e-5f, "vector " + i);
        }
    }

    @Test
    void textsPrintTheLibrarysVectors() throws Exception {
        CommandRun r = CommandRun.of("embed", "-m", model.toString(), "-t", "2", TEXTS.get(0), TEXTS.get(1),
                TEXTS.get(2));
        assertEquals(0, r.exit(), r.err());
        // init writes pooling_type 2: CLS is the model's own pooling
        assertVectors(library(TEXTS, Pooling.CLS, false), parse(r.out()));
    }

    @Test
    void meanPoolingNormalisedFromAFile() throws Exception {
        Path in = dir.resolve("texts.txt");
        Files.writeString(in, String.join("\n", TEXTS) + "\n");
        CommandRun r = CommandRun.of("embed", "-m", model.toString(), "--pooling", "mean", "--normalize",
                "--batch", "2", "--file", in.toString());
        assertEquals(0, r.exit(), r.err());
        float[][] got = parse(r.out());
        assertVectors(library(TEXTS, Pooling.MEAN, true), got);
        for (float[] v : got) {
            double n = 0;
            for (float x : v) {
                n += x * x;
            }
            assertEquals(1, n, 1e-5);
        }
    }

    @Test
    void jsonLinesFromStdin() throws Exception {
        InputStream saved = System.in;
        try {
            StringBuilder lines = new StringBuilder();
            for (String t : TEXTS) {
                lines.append(JSON.writeValueAsString(t)).append('\n');
            }
            System.setIn(new ByteArrayInputStream(lines.toString().getBytes(StandardCharsets.UTF_8)));
            CommandRun r = CommandRun.of("embed", "-m", model.toString(), "--pooling", "last", "--jsonl");
            assertEquals(0, r.exit(), r.err());
            assertVectors(library(TEXTS, Pooling.LAST, false), parse(r.out()));
            System.setIn(new ByteArrayInputStream("\"ok\"\n42\n".getBytes(StandardCharsets.UTF_8)));
            r = CommandRun.of("embed", "-m", model.toString(), "--jsonl");
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("line 2 of stdin") && r.err().contains("expected a JSON string"), r.err());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void badUseIsOneLineAndNonZeroExit() throws Exception {
        Path llama = dir.resolve("llama.gguf");
        assertEquals(0, CommandRun.of("init", "--arch", "llama", "--preset", "tiny", "-o", llama.toString()).exit());
        String[][] cases = {
            {"embed", "-m", model.toString()},
            {"embed", "-m", model.toString(), "--jsonl", "text"},
            {"embed", "-m", model.toString(), "--pooling", "max", "text"},
            {"embed", "-m", model.toString(), "--batch", "0", "text"},
            {"embed", "-m", model.toString(), "--max-tokens", "100000", "text"},
            {"embed", "-m", dir.resolve("missing.gguf").toString(), "text"},
            {"embed", "-m", model.toString(), "--file", dir.resolve("missing.txt").toString()},
            {"embed", "-m", llama.toString(), "text"},
        };
        String[] expected = {"nothing to embed", "only one of", "unknown pooling \"max\"", "--batch", "positions",
            "missing.gguf", "missing.txt", "general.architecture"};
        for (int i = 0; i < cases.length; i++) {
            CommandRun r = CommandRun.of(cases[i]);
            assertEquals(1, r.exit(), String.join(" ", cases[i]) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(expected[i]), r.err());
            assertEquals("", r.out());
        }
    }
}
