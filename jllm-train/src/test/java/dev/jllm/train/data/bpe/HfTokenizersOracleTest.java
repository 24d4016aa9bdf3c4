package dev.jllm.train.data.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.io.SharedFixtures;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face tokenizers itself (its Rust library through the npm package {@code @anush008/tokenizers})
 * as the oracle: its BpeTrainer learns the same merges in the same order from the same text, and it
 * loads the tokenizer.json jllm writes and encodes text to the same ids as jllm. Needs node and that
 * package in {@code tools/hf-tokenizers-check/node_modules} or the node_modules folder named by
 * {@code JLLM_HF_TOKENIZERS_MODULES}; skipped without them.
 */
class HfTokenizersOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = """
            const t = require('@anush008/tokenizers');
            const fs = require('fs');
            const [mode, a, b] = process.argv.slice(2);
            if (mode === 'train') {
              const tok = new t.Tokenizer(t.BPE.empty());
              tok.setPreTokenizer(t.byteLevelPreTokenizer(false, true));
              tok.train([a]);
              tok.save(b, false);
            } else {
              const tok = t.Tokenizer.fromFile(a);
              tok.encode(fs.readFileSync(b, 'utf8'), null, {addSpecialTokens: false})
                .then(e => fs.writeFileSync(b + '.ids.json', JSON.stringify(e.getIds())));
            }
            """;

    @TempDir
    Path dir;

    private static Path modules() {
        String env = System.getenv("JLLM_HF_TOKENIZERS_MODULES");
        Path p = env != null ? Path.of(env)
                : Path.of("..", "tools", "hf-tokenizers-check", "node_modules").toAbsolutePath().normalize();
        boolean installed = Files.isDirectory(p.resolve("@anush008/tokenizers"));
        if (System.getenv("JLLM_REQUIRE_HF_TOKENIZERS") != null && !installed) {
            throw new AssertionError("tools/hf-tokenizers-check/install.sh reported success but " + p
                    + " holds no @anush008/tokenizers");
        }
        return installed ? p : null;
    }

    private void node(Path modules, String... args) throws Exception {
        Path script = dir.resolve("hf.js");
        Files.writeString(script, SCRIPT);
        List<String> cmd = new ArrayList<>(List.of("node", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("NODE_PATH", modules.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "node did not finish");
        assertEquals(0, p.exitValue(), out);
    }

    private String corpus() throws Exception {
        return Files.readString(SharedFixtures.resolve("tokenizers/llamacpp-vocab/ggml-vocab-gpt-2.gguf.inp"))
                + Files.readString(SharedFixtures.resolve("tokenizers/SOURCES.md"));
    }

    @Test
    void learnsTheMergesHuggingFaceLearns() throws Exception {
        Path modules = modules();
        Assumptions.assumeTrue(modules != null, "npm @anush008/tokenizers is not installed");
        // HF trains from files line by line: one line keeps its words the same as in jllm's whole-text split
        String text = corpus().replace('\n', ' ');
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, text);
        Path hfFile = dir.resolve("hf.json");
        node(modules, "train", file.toString(), hfFile.toString());
        List<String> hf = new ArrayList<>();
        for (JsonNode m : JSON.readTree(hfFile.toFile()).path("model").path("merges")) {
            hf.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        WordCounts counts = new WordCounts(PreTokenizer.GPT2, List.of("<|endoftext|>"));
        counts.addText(text);
        // no vocabulary limit (HF's default is 30,000) and every pair merged (HF's min_frequency 0)
        TrainedBpe mine = new BpeTrainer(1_000_000, 1, List.of("<|endoftext|>")).train(counts, PreTokenizer.GPT2);
        List<String> ours = mine.merges().stream().map(m -> m[0] + " " + m[1]).toList();
        assertTrue(hf.size() > 1000, "HF learned " + hf.size() + " merges");
        assertEquals(hf, ours);
    }

    @Test
    void huggingFaceEncodesWithJllmsFileAsJllmDoes() throws Exception {
        Path modules = modules();
        Assumptions.assumeTrue(modules != null, "npm @anush008/tokenizers is not installed");
        String text = corpus();
        for (String pattern : new String[] {PreTokenizer.LLAMA3, PreTokenizer.GPT2}) {
            WordCounts counts = new WordCounts(pattern, List.of("<|endoftext|>"));
            counts.addText(text);
            Path tokFile = dir.resolve("tokenizer.json");
            TokenizerJsonWriter.write(new BpeTrainer(1500, 2, List.of("<|endoftext|>")).train(counts, pattern), tokFile);
            Path textFile = dir.resolve("text.txt");
            String sample = text + "<|endoftext|> 12345 naïve 東京 🙂\r\n\tend";
            Files.writeString(textFile, sample);
            node(modules, "encode", tokFile.toString(), textFile.toString());
            JsonNode ids = JSON.readTree(dir.resolve("text.txt.ids.json").toFile());
            Tokenizer tok = TokenizerLoader.load(tokFile);
            int[] ours = tok.encode(sample, false, true);
            int[] theirs = new int[ids.size()];
            for (int i = 0; i < theirs.length; i++) {
                theirs[i] = ids.get(i).asInt();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(theirs, ours, pattern);
        }
    }
}
