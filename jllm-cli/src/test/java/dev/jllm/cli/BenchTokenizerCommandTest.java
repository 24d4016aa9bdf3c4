package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.cli.bench.EnglishText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTokenizerCommandTest {
    private static final String GPT2 = SharedFixturePaths.resolve("tokenizers/hf/gpt2_tokenizer.json").toString();

    @TempDir
    Path dir;

    @Test
    void builtInTextIsDeterministicEnglishOfTheAskedSize() {
        String a = EnglishText.generate(50_000);
        assertEquals(a, EnglishText.generate(50_000));
        int bytes = a.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(bytes >= 50_000 && bytes < 52_000, "size " + bytes);
        assertTrue(a.contains("Four score and seven years ago") && a.endsWith("\n"));
        assertEquals(a.length(), String.join("", BenchTokenizerCommand.splitLines(a)).length());
    }

    @Test
    void reportsColdAndWarmSpeedAsJson() throws IOException {
        CommandRun r = CommandRun.of("bench-tokenizer", "-m", GPT2, "--bytes", "20000", "--seconds", "0", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("bytes").asLong() >= 20000);
        assertTrue(j.get("tokens").asLong() > 3000, r.out());
        for (String kind : List.of("cold", "warm")) {
            JsonNode k = j.get(kind);
            assertTrue(k.get("passes").asInt() >= 3, r.out());
            assertTrue(k.get("best_mb_per_s").asDouble() >= k.get("median_mb_per_s").asDouble(), r.out());
            assertTrue(k.get("median_mb_per_s").asDouble() > 0, r.out());
        }
    }

    @Test
    void readsAnInputFileAndPrintsText() throws IOException {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "one line\nanother line, no newline at the end");
        CommandRun r = CommandRun.of("bench-tokenizer", "-m", GPT2, "--input", in.toString(), "--seconds", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("2 lines") && r.out().contains("cold (fresh tokenizer):")
                && r.out().contains("MB/s"), r.out());
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        CommandRun bad = CommandRun.of("bench-tokenizer", "-m", GPT2, "--input", empty.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("empty"), bad.err());
        assertEquals(1, CommandRun.of("bench-tokenizer", "-m", GPT2, "--seconds", "-1").exit());
    }
}
