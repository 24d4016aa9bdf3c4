package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jllm eval} end to end on the shared MMLU and C-Eval fixtures with the bundled model and --limit: the
 * results JSON in the harness's layout, each task's acc recomputed here from its logged samples (argmax of the
 * options' log-likelihoods against the target), the groups' acc recomputed from the tasks', the logged prompt
 * against the harness's prompt written out by hand, the markdown table's header, and one-line errors.
 */
class EvalCommandTest {
    @TempDir
    Path dir;

    static Path bundled() {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve(ModelOptions.BUNDLED);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("the bundled model is missing");
    }

    @Test
    void evaluatesGroupsTasksAndPerplexityInTheHarnesssLayout() throws Exception {
        Path data = SharedFixturePaths.resolve("eval");
        Path text = dir.resolve("verse.txt");
        Files.writeString(text, "In the beginning God created the heaven and the earth.\n");
        Path out = dir.resolve("results.json");
        CommandRun r = CommandRun.of("eval", "-m", bundled().toString(), "-t", "2", "--tasks",
                "mmlu,ceval-valid_computer_network,bbh_cot_fewshot_word_sorting,perplexity:" + text, "--data-dir",
                data.toString(), "--limit", "4", "--max-gen-toks", "8",
                "--num-fewshot", "1", "--batch-size", "3", "--output", out.toString(), "--log-samples", "--plot",
                dir.resolve("scores.png").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("jllm (model="), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\| +Tasks +\\|Version\\| *Filter *\\|n-shot\\| +Metric +\\|   "
                + "\\| +Value +\\|   \\|Stderr\\|")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| Groups |Version|")), r.out());
        assertTrue(r.err().contains("eval: 100% (") && r.err().contains("ETA"), r.err());

        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(dir.resolve("scores.png").toFile());
        assertTrue(png.getWidth() > 0 && png.getHeight() > 0);
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        JsonNode results = json.get("results");
        assertEquals(List.of("mmlu", "mmlu_other", "mmlu_marketing", "mmlu_stem", "mmlu_abstract_algebra",
                "mmlu_anatomy", "ceval-valid_computer_network", "bbh_cot_fewshot_word_sorting", "perplexity"),
                names(results));
        assertTrue(results.get("bbh_cot_fewshot_word_sorting").has("exact_match,get-answer"), results.toString());
        assertEquals(" - stem", results.get("mmlu_stem").get("alias").asText());
        assertEquals("  - anatomy", results.get("mmlu_anatomy").get("alias").asText());
        assertEquals(4, json.get("n-samples").get("mmlu_anatomy").get("effective").asInt());
        assertEquals(135, json.get("n-samples").get("mmlu_anatomy").get("original").asInt());
        assertEquals(1, json.get("n-shot").get("mmlu_anatomy").asInt());
        assertTrue(json.get("higher_is_better").get("ceval-valid_computer_network").get("acc_norm").asBoolean());
        assertFalse(json.get("higher_is_better").get("perplexity").get("bits_per_byte").asBoolean());
        assertEquals("first_n", json.get("configs").get("mmlu_anatomy").get("fewshot_config").get("sampler").asText());
        assertEquals(List.of("mmlu_other", "mmlu_stem"), texts(json.get("group_subtasks").get("mmlu")));

        for (String task : List.of("mmlu_abstract_algebra", "mmlu_anatomy", "mmlu_marketing",
                "ceval-valid_computer_network")) {
            List<String> lines = Files.readAllLines(dir.resolve("samples_" + task + ".jsonl"));
            assertEquals(4, lines.size(), task);
            double correct = 0;
            for (String line : lines) {
                JsonNode s = new ObjectMapper().readTree(line);
                JsonNode resps = s.get("filtered_resps");
                int best = 0;
                for (int i = 1; i < resps.size(); i++) {
                    if (resps.get(i).get(0).asDouble() > resps.get(best).get(0).asDouble()) {
                        best = i;
                    }
                }
                double acc = best == s.get("target").asInt() ? 1 : 0;
                assertEquals(acc, s.get("acc").asDouble(), task);
                correct += acc;
            }
            assertEquals(correct / 4, results.get(task).get("acc,none").asDouble(), 1e-12, task);
        }
        double stem = (results.get("mmlu_abstract_algebra").get("acc,none").asDouble()
                + results.get("mmlu_anatomy").get("acc,none").asDouble()) / 2;
        assertEquals(stem, results.get("mmlu_stem").get("acc,none").asDouble(), 1e-12);
        assertEquals((2 * stem + results.get("mmlu_marketing").get("acc,none").asDouble()) / 3,
                json.get("groups").get("mmlu").get("acc,none").asDouble(), 1e-12);

        JsonNode first = new ObjectMapper().readTree(
                Files.readAllLines(dir.resolve("samples_mmlu_abstract_algebra.jsonl")).getFirst());
        assertEquals("The following are multiple choice questions (with answers) about abstract algebra.\n\n"
                + "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n"
                + "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
                + "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:", first.get("arguments").get("gen_args_0").get("arg_0").asText());
        assertEquals(" D", first.get("arguments").get("gen_args_3").get("arg_1").asText());
        double bpb = results.get("perplexity").get("bits_per_byte,none").asDouble();
        double bytePpl = results.get("perplexity").get("byte_perplexity,none").asDouble();
        assertEquals(Math.pow(2, bpb), bytePpl, 1e-9 * bytePpl);
        assertEquals("N/A", results.get("perplexity").get("bits_per_byte_stderr,none").asText());
    }

    @Test
    void chainOfThoughtWithSelfConsistencyVotesOverSampledAnswers() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("gpqa"));
        Files.writeString(data.resolve("gpqa").resolve("gpqa_diamond.csv"), "Question,Correct Answer,"
                + "Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Record ID\n"
                + "What is 2+2?,4,3,5,22,rec0\nPick the prime.,7,8,9,10,rec1\n");
        Path fixtures = SharedFixturePaths.resolve("eval");
        for (String f : List.of("mmlu", "bbh")) {
            Files.createSymbolicLink(data.resolve(f), fixtures.resolve(f));
        }
        Path out = dir.resolve("cot.json");
        CommandRun r = CommandRun.of("eval", "-m", bundled().toString(), "-t", "2", "--tasks",
                "mmlu_anatomy,gpqa_diamond_zeroshot,bbh_fewshot_word_sorting", "--cot", "--self-consistency", "3",
                "--data-dir", data.toString(), "--limit", "1", "--max-gen-toks", "6", "--seed", "7", "--output",
                out.toString(), "--log-samples");
        assertEquals(0, r.exit(), r.err());
        JsonNode results = new ObjectMapper().readTree(out.toFile()).get("results");
        assertEquals(List.of("mmlu_flan_cot_zeroshot_anatomy", "gpqa_diamond_cot_zeroshot",
                "bbh_cot_fewshot_word_sorting"), names(results));
        assertTrue(results.get("bbh_cot_fewshot_word_sorting").has("exact_match,get-answer"), results.toString());
        for (String task : List.of("mmlu_flan_cot_zeroshot_anatomy", "gpqa_diamond_cot_zeroshot")) {
            JsonNode s = new ObjectMapper().readTree(Files.readAllLines(dir.resolve("samples_" + task + ".jsonl"))
                    .getFirst());
            assertEquals(3, s.get("resps").get(0).size(), "three sampled generations");
            assertEquals(0.7, s.get("arguments").get("gen_args_0").get("arg_1").get("temperature").asDouble());
            JsonNode strict = s.get("filters").get("strict-match");
            // the vote: the answer extracted most often, the earliest on a tie
            java.util.Map<String, Integer> counts = new java.util.LinkedHashMap<>();
            strict.get("answers").forEach(a -> counts.merge(a.asText(), 1, Integer::sum));
            String voted = counts.entrySet().stream().reduce((x, y) -> y.getValue() > x.getValue() ? y : x)
                    .orElseThrow().getKey();
            assertEquals(voted, strict.get("voted").asText());
            assertEquals(s.get("exact_match").asDouble(), results.get(task).get("exact_match,strict-match").asDouble());
            // every filter is reported in the JSON and has its row in the table
            assertEquals(s.get("filters").get("flexible-extract").get("exact_match").asDouble(),
                    results.get(task).get("exact_match,flexible-extract").asDouble());
            assertTrue(r.out().lines().anyMatch(l -> l.contains("|flexible-extract|")), r.out());
        }
        assertTrue(new ObjectMapper().readTree(Files.readAllLines(dir.resolve(
                "samples_mmlu_flan_cot_zeroshot_anatomy.jsonl")).getFirst()).get("arguments").get("gen_args_0")
                .get("arg_0").asText().endsWith("(A) Anabolism (B) Catabolism (C) Tolerance (D) Homeostasis\n"
                        + "A: Let's think step by step."));
    }

    @Test
    void badInputGivesOneLine() throws Exception {
        CommandRun unknown = CommandRun.of("eval", "-m", bundled().toString(), "--tasks", "mmlu_astrology");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().startsWith("jllm: unknown task \"mmlu_astrology\"; known tasks: mmlu"), unknown.err());
        assertEquals(1, unknown.err().strip().lines().count());
        CommandRun missing = CommandRun.of("eval", "-m", bundled().toString(), "--tasks", "ceval-valid_law",
                "--data-dir", dir.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("law_val.csv: is missing"), missing.err());
        CommandRun greedyVote = CommandRun.of("eval", "-m", bundled().toString(), "--tasks", "bbh", "--data-dir",
                SharedFixturePaths.resolve("eval").toString(), "--self-consistency", "3", "--temperature", "0");
        assertEquals(1, greedyVote.exit());
        assertTrue(greedyVote.err().contains("--self-consistency 3 needs a --temperature above 0"), greedyVote.err());
        CommandRun noCot = CommandRun.of("eval", "-m", bundled().toString(), "--tasks", "mmlu_anatomy,cola",
                "--data-dir", SharedFixturePaths.resolve("eval").toString(), "--cot");
        assertEquals(1, noCot.exit());
        assertEquals("jllm: --cot: task cola has no chain-of-thought form (mmlu, gpqa and bbh tasks have one; C-Eval, "
                + "GLUE and perplexity are scored without generation)", noCot.err().strip());
        CommandRun samples = CommandRun.of("eval", "--tasks", "mmlu", "--log-samples");
        assertEquals(1, samples.exit());
        assertTrue(samples.err().contains("--log-samples needs --output"), samples.err());
    }

    static List<String> names(JsonNode object) {
        List<String> out = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
