package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench-serve} end to end on the bundled model (every request generates exactly -n tokens, end tokens
 * being banned), and {@code serve}'s refusals of bad options. The server itself is tested in jllm-server.
 */
class ServeCommandsTest {
    @Test
    void benchServeCountsEveryClientsTokens() throws Exception {
        CommandRun r = CommandRun.of("bench-serve", "-m", EvalCommandTest.bundled().toString(), "--clients", "1,3",
                "-n", "5", "-r", "2", "-p", "4", "-t", "1", "--json");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(2, lines.size(), r.out());
        int[] clients = {1, 3};
        for (int i = 0; i < 2; i++) {
            JsonNode row = new ObjectMapper().readTree(lines.get(i));
            assertEquals(clients[i], row.get("clients").asInt());
            assertEquals(clients[i] * 2, row.get("requests").asInt());
            assertEquals(clients[i] * 2 * 5, row.get("tokens").asLong(), "every request generates exactly -n tokens");
            assertTrue(row.get("tokens_per_s").asDouble() > 0);
            double median = row.get("ttft_ms_median").asDouble();
            assertTrue(median > 0 && median <= row.get("ttft_ms_max").asDouble()
                    && row.get("ttft_ms_max").asDouble() <= row.get("seconds").asDouble() * 1000, row.toString());
        }
    }

    @Test
    void benchServeRunsWithRepackedWeights() throws Exception {
        // the bundled model is Q8_0 with rows in sixteens: every few-token product runs interleaved
        CommandRun r = CommandRun.of("bench-serve", "-m", EvalCommandTest.bundled().toString(), "--clients", "4",
                "-n", "6", "-r", "1", "-p", "5", "-t", "2", "--repack", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode row = new ObjectMapper().readTree(r.out().strip().lines().toList().getLast());
        assertEquals(4 * 6, row.get("tokens").asLong(), "every request generates exactly -n tokens");
    }

    @Test
    void serveRefusesBadOptionsInOneLine(@TempDir Path dir) throws Exception {
        CommandRun parallel = CommandRun.of("serve", "--parallel", "0");
        assertEquals(1, parallel.exit());
        assertTrue(parallel.err().contains("--parallel"), parallel.err());
        assertEquals(1, parallel.err().strip().lines().count(), parallel.err());
        Path empty = dir.resolve("key.txt");
        Files.writeString(empty, "\n");
        CommandRun key = CommandRun.of("serve", "--api-key-file", empty.toString());
        assertEquals(1, key.exit());
        assertTrue(key.err().contains("--api-key-file") && key.err().contains("key.txt"), key.err());
        CommandRun port = CommandRun.of("serve", "--port", "70000");
        assertEquals(1, port.exit());
        assertTrue(port.err().contains("--port"), port.err());
        // an embedding model as -m is served alone; naming a second one is refused before anything binds
        Path bert = dir.resolve("bert.gguf");
        assertEquals(0, CommandRun.of("init", "--arch", "bert", "--dims", "64,2,4,4,96", "--vocab-from",
                SharedFixturePaths.resolve("tokenizers/hf/bert-vocab.txt").toString(), "-o", bert.toString()).exit());
        CommandRun both = CommandRun.of("serve", "-m", bert.toString(), "--embeddings", bert.toString());
        assertEquals(1, both.exit());
        assertTrue(both.err().contains("--embeddings") && both.err().contains("bert.gguf"), both.err());
        assertEquals(1, both.err().strip().lines().count(), both.err());
    }
}
