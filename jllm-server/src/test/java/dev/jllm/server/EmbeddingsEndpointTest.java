package dev.jllm.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.convert.TokenizerToGguf;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.init.Architecture;
import dev.jllm.formats.init.ModelDims;
import dev.jllm.formats.init.ModelPreset;
import dev.jllm.formats.init.RandomModelWriter;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.load.LoadedEncoder;
import dev.jllm.runtime.embed.Embedder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/embeddings} with a small BERT (random weights, the real bert-base-uncased WordPiece vocabulary)
 * served beside the bundled generator: every vector equals the library's {@link Embedder} on the same text,
 * as floats and as base64; token-id inputs, usage, model names and bad inputs; and a server of the embedding
 * model alone.
 */
class EmbeddingsEndpointTest {
    @TempDir
    static Path dir;
    private static LoadedEncoder encoder;
    private static WorkerPool pool;
    private static Embedder embedder;
    private static TestServer server;
    private static TestClient client;

    @BeforeAll
    static void start() throws Exception {
        Path file = dir.resolve("bert.gguf");
        Map<String, GgufValue> vocab = TokenizerToGguf.metadata(SharedFixtures.resolve(
                "tokenizers/hf/bert-base-uncased.json"));
        ModelDims dims = ModelPreset.tiny(Architecture.BERT).withVocab(TokenizerToGguf.vocabSize(vocab));
        RandomModelWriter.write(Architecture.BERT, dims, "bert-test", vocab, 3, LlamaFileType.ALL_F32, file, null);
        encoder = LoadedEncoder.open(file);
        pool = new WorkerPool(1);
        embedder = Embedder.of(encoder, pool);
        server = TestServer.start(256, 2, 4, null, 1 << 20, new ServedEmbeddings("bert-test", embedder));
        client = new TestClient(server);
    }

    @AfterAll
    static void stop() {
        server.close();
        pool.close();
        encoder.close();
    }

    private static float[] floats(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) array.get(i).asDouble();
        }
        return v;
    }

    @Test
    void vectorsEqualTheLibrarysAsFloatsAndAsBase64() {
        List<String> texts = List.of("In the beginning", "", "héllo wörld, 你好", "the end");
        float[][] want = embedder.embed(texts);
        TestClient.Reply r = client.post("/v1/embeddings", "{\"model\":\"bert-test\",\"input\":[\"In the beginning\","
                + "\"\",\"héllo wörld, 你好\",\"the end\"]}");
        assertEquals(200, r.status(), r.body());
        JsonNode data = r.json().get("data");
        assertEquals(texts.size(), data.size());
        long tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(i, data.get(i).get("index").asInt());
            assertEquals("embedding", data.get(i).get("object").asText());
            assertArrayEquals(want[i], floats(data.get(i).get("embedding")), "text " + i);
            tokens += embedder.tokenize(texts.get(i)).length;
        }
        assertEquals(tokens, r.json().get("usage").get("prompt_tokens").asLong());
        assertEquals("bert-test", r.json().get("model").asText());

        TestClient.Reply b = client.post("/v1/embeddings", "{\"input\":\"the end\",\"encoding_format\":\"base64\"}");
        assertEquals(200, b.status(), b.body());
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b.json().get("data").get(0).get("embedding")
                .asText())).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / 4];
        for (int i = 0; i < decoded.length; i++) {
            decoded[i] = bytes.getFloat();
        }
        assertArrayEquals(embedder.embed("the end"), decoded, "one text alone, as the request sent it");
    }

    @Test
    void tokenIdsAreEmbeddedAsGiven() {
        int[] ids = embedder.tokenize("the end");
        StringBuilder list = new StringBuilder();
        for (int id : ids) {
            list.append(list.length() == 0 ? "" : ",").append(id);
        }
        TestClient.Reply r = client.post("/v1/embeddings", "{\"input\":[[" + list + "]]}");
        assertEquals(200, r.status(), r.body());
        assertArrayEquals(embedder.embed("the end"), floats(r.json().get("data").get(0).get("embedding")));
    }

    @Test
    void badRequestsNameTheirParameter() {
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":[]}"), 400, "input");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":[1.5]}"), 400, "input");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":\"x\",\"encoding_format\":\"hex\"}"), 400,
                "encoding_format");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":\"x\",\"dimensions\":3}"), 400, "dimensions");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":\"x\",\"model\":\"" + TestServer.MODEL_ID
                + "\"}"), 400, "model");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":\"x\",\"model\":\"other\"}"), 404, "model");
        TestClient.assertError(client.post("/v1/embeddings", "{\"input\":[[1, 999999]]}"), 400, "input");
    }

    @Test
    void theModelListNamesBoth() {
        JsonNode data = client.get("/v1/models").json().get("data");
        assertEquals(2, data.size());
        assertEquals(TestServer.MODEL_ID, data.get(0).get("id").asText());
        assertEquals("bert-test", data.get(1).get("id").asText());
    }

    @Test
    void aServerOfEmbeddingsAloneServesOnlyThem() throws Exception {
        try (OpenAiServer alone = new OpenAiServer(null, new ServedEmbeddings("bert-test", embedder),
                new ServerOptions("127.0.0.1", 0, null, 1 << 20))) {
            TestClient c = new TestClient("http://127.0.0.1:" + alone.port(), null);
            TestClient.Reply r = c.post("/v1/embeddings", "{\"input\":\"the end\"}");
            assertEquals(200, r.status(), r.body());
            assertArrayEquals(embedder.embed("the end"), floats(r.json().get("data").get(0).get("embedding")));
            JsonNode data = c.get("/v1/models").json().get("data");
            assertEquals(1, data.size());
            assertEquals("bert-test", data.get(0).get("id").asText());
            assertEquals(200, c.get("/v1/models/bert-test").status());
            assertEquals(404, c.get("/v1/models/" + TestServer.MODEL_ID).status());
            TestClient.assertError(c.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"hi\"}]}"), 400, "model");
            TestClient.assertError(c.post("/v1/completions", "{\"prompt\":\"hi\"}"), 400, "model");
            assertEquals(400, c.post("/tokenize", "{\"content\":\"hi\"}").status());
            assertEquals(400, c.post("/detokenize", "{\"tokens\":[1]}").status());
            assertEquals(200, c.get("/health").status());
            TestClient.Reply metrics = c.get("/metrics");
            assertEquals(200, metrics.status());
            assertTrue(metrics.body().contains("jllm_requests_total{route=\"/v1/embeddings\",status=\"200\"} 1"),
                    metrics.body());
        }
    }
}
