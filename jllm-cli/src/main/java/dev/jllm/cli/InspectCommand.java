package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.hf.HfGenerationConfig;
import dev.jllm.formats.hf.HfModelConfig;
import dev.jllm.formats.hf.HfTokenizerConfig;
import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.safetensors.SafetensorsFile;
import dev.jllm.formats.safetensors.SafetensorsModel;
import dev.jllm.formats.safetensors.SafetensorsTensorInfo;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm inspect FILE}: what a GGUF file, a safetensors file or a Hugging Face model folder
 * holds: format, architecture, hyperparameters, tokenizer, metadata, tensors and totals. The
 * report is built once as a JSON tree and printed either as that JSON or as text.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show the format, architecture, hyperparameters, tokenizer, metadata and tensors of a model file.")
final class InspectCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Arrays longer than this are shown as their length and first items. */
    private static final int ARRAY_HEAD = 8;
    /** Strings longer than this are cut in the text report. */
    private static final int TEXT_STRING = 120;
    private static final List<String> HF_HYPERPARAMETERS = List.of("vocab_size", "max_position_embeddings", "hidden_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
            "hidden_act", "rms_norm_eps", "layer_norm_eps", "rope_theta", "rope_scaling", "tie_word_embeddings",
            "sliding_window", "num_local_experts", "num_experts_per_tok", "torch_dtype", "bos_token_id", "eos_token_id");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A .gguf file, a .safetensors file, a "
            + "model.safetensors.index.json, or a folder with config.json and *.safetensors.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        ObjectNode report = NODES.objectNode();
        report.put("file", file.toString());
        if (Files.isDirectory(file)) {
            inspectFolder(report);
        } else if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        } else if (isGguf(file)) {
            inspectGguf(report);
        } else if (file.getFileName().toString().endsWith(".safetensors") || file.getFileName().toString().endsWith(".json")) {
            inspectSafetensors(report, file);
        } else {
            throw new FormatException(file, 0, "magic", "neither a GGUF file nor a .safetensors file");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(JSON.writeValueAsString(report));
        } else {
            printText(report, out);
        }
        out.flush();
        return 0;
    }

    // a .gguf name is enough, so that a damaged GGUF file gets the GGUF reader's error about its magic
    private static boolean isGguf(Path p) throws IOException {
        return p.getFileName().toString().endsWith(".gguf") || GgufFile.hasMagic(p);
    }

    private void inspectGguf(ObjectNode report) throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            report.put("format", "GGUF");
            report.put("version", g.version());
            report.put("alignment", g.alignment());
            report.put("data_offset", g.dataOffset());
            String arch = g.findString("general.architecture").orElse(null);
            report.put("architecture", arch);
            ObjectNode hyper = report.putObject("hyperparameters");
            if (arch != null) {
                for (Map.Entry<String, GgufValue> e : g.values().entrySet()) {
                    if (e.getKey().startsWith(arch + ".") && e.getValue().type() != GgufValueType.ARRAY) {
                        hyper.set(e.getKey().substring(arch.length() + 1), valueNode(e.getValue(), false));
                    }
                }
            }
            ObjectNode tok = report.putObject("tokenizer");
            g.findString("tokenizer.ggml.model").ifPresent(m -> tok.put("model", m));
            g.findString("tokenizer.ggml.pre").ifPresent(m -> tok.put("pre", m));
            if (g.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens) {
                tok.put("vocab_size", tokens.size());
            }
            if (g.metadata().get("tokenizer.ggml.merges") instanceof List<?> merges) {
                tok.put("merges", merges.size());
            }
            for (String id : List.of("bos", "eos", "unknown", "padding", "eot")) {
                g.findLong("tokenizer.ggml." + id + "_token_id").ifPresent(v -> tok.put(id + "_token_id", v));
            }
            tok.put("chat_template", g.has("tokenizer.chat_template"));
            ObjectNode meta = report.putObject("metadata");
            for (Map.Entry<String, GgufValue> e : g.values().entrySet()) {
                meta.set(e.getKey(), valueNode(e.getValue(), true));
            }
            ArrayNode tensors = report.putArray("tensors");
            long params = 0;
            long bytes = 0;
            for (GgufTensorInfo t : g.tensors()) {
                tensors.add(tensorNode(t.name(), t.ggmlType().name(), t.shape(), t.byteSize()));
                params += t.elements();
                bytes += t.byteSize();
            }
            totals(report, g.tensors().size(), params, bytes);
        }
    }

    private void inspectFolder(ObjectNode report) throws IOException {
        report.put("format", "Hugging Face folder");
        Path config = file.resolve("config.json");
        ObjectNode hyper = NODES.objectNode();
        if (Files.isRegularFile(config)) {
            HfModelConfig c = HfModelConfig.read(config);
            report.put("architecture", c.architectures() != null && !c.architectures().isEmpty()
                    ? c.architectures().getFirst() : c.modelType());
            report.put("model_type", c.modelType());
            for (String k : HF_HYPERPARAMETERS) {
                if (c.raw().has(k)) {
                    hyper.set(k, c.raw().get(k));
                }
            }
        } else {
            report.put("architecture", (String) null);
        }
        report.set("hyperparameters", hyper);
        ObjectNode tok = report.putObject("tokenizer");
        Path tokenizer = file.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizer)) {
            JsonNode t = readJson(tokenizer);
            JsonNode model = t.path("model");
            tok.put("model", model.path("type").asText(null));
            // added tokens may repeat vocabulary entries: the loaded tokenizer counts the union
            tok.put("vocab_size", TokenizerLoader.load(tokenizer).vocabSize());
        }
        Path tokConfig = file.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tokConfig)) {
            HfTokenizerConfig tc = HfTokenizerConfig.read(tokConfig);
            if (tc.bosToken() != null) {
                tok.put("bos_token", tc.bosToken());
            }
            if (tc.eosToken() != null) {
                tok.put("eos_token", tc.eosToken());
            }
            tok.put("chat_template", !tc.chatTemplates().isEmpty() || Files.exists(file.resolve("chat_template.jinja")));
        }
        Path genConfig = file.resolve("generation_config.json");
        if (Files.isRegularFile(genConfig)) {
            HfGenerationConfig gc = HfGenerationConfig.read(genConfig);
            ObjectNode gen = report.putObject("generation");
            if (!gc.eosTokenIds().isEmpty()) {
                gen.set("eos_token_id", JSON.valueToTree(gc.eosTokenIds()));
            }
            putIfSet(gen, "do_sample", gc.doSample());
            putIfSet(gen, "temperature", gc.temperature());
            putIfSet(gen, "top_p", gc.topP());
            putIfSet(gen, "top_k", gc.topK());
            putIfSet(gen, "max_new_tokens", gc.maxNewTokens());
        }
        boolean hasWeights;
        try (var s = Files.list(file)) {
            hasWeights = s.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        }
        if (hasWeights) {
            inspectSafetensors(report, file);
            report.put("format", "Hugging Face folder (safetensors)");
        } else {
            report.putArray("tensors");
            totals(report, 0, 0, 0);
        }
    }

    private static void putIfSet(ObjectNode node, String key, Object value) {
        if (value != null) {
            node.set(key, JSON.valueToTree(value));
        }
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            return JSON.readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new FormatException(p, e.getLocation() == null ? -1 : e.getLocation().getByteOffset(), "",
                    "invalid JSON: " + e.getOriginalMessage());
        }
    }

    private static void inspectSafetensors(ObjectNode report, Path path) throws IOException {
        try (SafetensorsModel m = SafetensorsModel.open(path)) {
            if (!report.has("format")) {
                report.put("format", "safetensors");
            }
            report.put("files", m.files().size());
            ObjectNode meta = report.putObject("metadata");
            for (SafetensorsFile f : m.files()) {
                f.metadata().forEach(meta::put);
            }
            ArrayNode tensors = report.putArray("tensors");
            long params = 0;
            long bytes = 0;
            for (SafetensorsTensorInfo t : m.tensors()) {
                tensors.add(tensorNode(t.name(), t.dtype().name(), t.shape(), t.byteSize()));
                params += t.elements();
                bytes += t.byteSize();
            }
            totals(report, m.tensors().size(), params, bytes);
        }
    }

    private static ObjectNode tensorNode(String name, String type, long[] shape, long bytes) {
        ObjectNode n = NODES.objectNode();
        n.put("name", name);
        n.put("type", type);
        ArrayNode s = n.putArray("shape");
        for (long d : shape) {
            s.add(d);
        }
        n.put("bytes", bytes);
        return n;
    }

    private static void totals(ObjectNode report, int count, long params, long bytes) {
        ObjectNode t = report.putObject("totals");
        t.put("tensors", count);
        t.put("parameters", params);
        t.put("bytes", bytes);
        t.put("bits_per_weight", params == 0 ? 0 : Math.round(bytes * 8.0 / params * 1000) / 1000.0);
    }

    /** A metadata value as JSON; long arrays become their type, count and first items when {@code abbreviate}. */
    private static JsonNode valueNode(GgufValue v, boolean abbreviate) {
        if (v.type() != GgufValueType.ARRAY) {
            return scalarNode(v.type(), v.value());
        }
        List<?> items = (List<?>) v.value();
        ArrayNode head = NODES.arrayNode();
        int n = abbreviate && items.size() > ARRAY_HEAD ? ARRAY_HEAD : items.size();
        for (int i = 0; i < n; i++) {
            Object item = items.get(i);
            head.add(item instanceof GgufValue g ? valueNode(g, abbreviate) : scalarNode(v.elementType(), item));
        }
        if (n == items.size()) {
            return head;
        }
        ObjectNode o = NODES.objectNode();
        o.put("element_type", v.elementType().name());
        o.put("count", items.size());
        o.set("first", head);
        return o;
    }

    private static JsonNode scalarNode(GgufValueType type, Object v) {
        return switch (v) {
            case Long l when type == GgufValueType.UINT64 && l < 0 -> NODES.numberNode(new BigInteger(Long.toUnsignedString(l)));
            case Long l -> NODES.numberNode(l);
            case Integer i -> NODES.numberNode(i);
            case Float f -> Float.isFinite(f) ? NODES.numberNode(f) : NODES.textNode(f.toString());
            case Double d -> Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(d.toString());
            case Boolean b -> NODES.booleanNode(b);
            default -> NODES.textNode(String.valueOf(v));
        };
    }

    private static void printText(ObjectNode r, PrintWriter out) {
        out.printf(Locale.ROOT, "file:          %s%n", r.path("file").asText());
        String format = r.path("format").asText();
        if (r.has("version")) {
            format += " v" + r.path("version").asInt() + " (alignment " + r.path("alignment").asInt() + ", data at byte "
                    + r.path("data_offset").asLong() + ")";
        }
        if (r.has("files")) {
            format += ", " + r.path("files").asInt() + " file" + (r.path("files").asInt() == 1 ? "" : "s");
        }
        out.printf(Locale.ROOT, "format:        %s%n", format);
        out.printf(Locale.ROOT, "architecture:  %s%n", r.path("architecture").asText("(none)"));
        section(out, "hyperparameters", r.path("hyperparameters"));
        section(out, "tokenizer", r.path("tokenizer"));
        section(out, "metadata", r.path("metadata"));
        JsonNode tensors = r.path("tensors");
        if (!tensors.isEmpty()) {
            int width = 4;
            for (JsonNode t : tensors) {
                width = Math.max(width, t.path("name").asText().length());
            }
            out.printf(Locale.ROOT, "tensors:%n  %-" + width + "s  %-7s  %-22s  %14s%n", "name", "type", "shape", "bytes");
            for (JsonNode t : tensors) {
                out.printf(Locale.ROOT, "  %-" + width + "s  %-7s  %-22s  %,14d%n", t.path("name").asText(),
                        t.path("type").asText(), t.path("shape").toString().replace(",", ", "), t.path("bytes").asLong());
            }
        }
        JsonNode tot = r.path("totals");
        out.printf(Locale.ROOT, "totals:        %,d tensors, %,d parameters, %,d bytes (%s), %.3f bits per weight%n",
                tot.path("tensors").asLong(), tot.path("parameters").asLong(), tot.path("bytes").asLong(),
                humanBytes(tot.path("bytes").asLong()), tot.path("bits_per_weight").asDouble());
    }

    private static void section(PrintWriter out, String title, JsonNode node) {
        if (node.isMissingNode() || node.isEmpty()) {
            return;
        }
        out.printf(Locale.ROOT, "%s:%n", title);
        int width = 0;
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            width = Math.max(width, e.getKey().length());
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            out.printf(Locale.ROOT, "  %-" + width + "s  %s%n", e.getKey(), text(e.getValue()));
        }
    }

    /** A value on one line: strings cut with their length, abbreviated arrays with their count. */
    private static String text(JsonNode v) {
        if (v.isTextual()) {
            String s = v.asText().replace("\n", "\\n").replace("\r", "\\r");
            return s.length() > TEXT_STRING ? s.substring(0, TEXT_STRING) + "… (" + v.asText().length() + " chars)" : s;
        }
        if (v.isObject() && v.has("count") && v.has("first")) {
            String head = v.path("first").toString();
            if (head.length() > TEXT_STRING) {
                head = head.substring(0, TEXT_STRING) + "…";
            }
            return v.path("element_type").asText() + "[" + v.path("count").asLong() + "] " + head;
        }
        String s = v.toString();
        return s.length() > TEXT_STRING ? s.substring(0, TEXT_STRING) + "…" : s;
    }

    private static String humanBytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
