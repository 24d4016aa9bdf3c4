package dev.jllm.eval.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.jllm.eval.metrics.MetricValue;
import dev.jllm.eval.run.EvalResults;
import dev.jllm.eval.run.TaskResult;
import dev.jllm.eval.task.EvalTask;
import dev.jllm.eval.task.TaskGroup;
import dev.jllm.eval.task.TaskNode;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's results in lm-evaluation-harness's results layout: {@code results} (every group and task, groups before
 * their members, each with {@code "<metric>,none"}, {@code "<metric>_stderr,none"} and an {@code alias} indented by
 * depth), {@code groups}, {@code group_subtasks}, {@code configs}, {@code versions}, {@code n-shot},
 * {@code higher_is_better}, {@code n-samples}, {@code config} and the run's date and model. A standard error the
 * harness cannot compute is {@code "N/A"}.
 */
public final class ResultsJson {
    /** The harness's name for "no filter", which every task but the generative ones reports under. */
    public static final String FILTER = "none";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResultsJson() {
    }

    /**
     * The results tree, ordered as the harness orders it.
     *
     * @param runConfig the {@code config} entry: model, model_args, batch_size, limit, seeds
     */
    public static Map<String, Object> tree(EvalResults r, Map<String, Object> runConfig, String modelName) {
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, Object> groups = new LinkedHashMap<>();
        Map<String, Object> groupSubtasks = new LinkedHashMap<>();
        Map<String, Object> configs = new LinkedHashMap<>();
        Map<String, Object> versions = new LinkedHashMap<>();
        Map<String, Object> nShot = new LinkedHashMap<>();
        Map<String, Object> higher = new LinkedHashMap<>();
        Map<String, Object> nSamples = new LinkedHashMap<>();
        for (TaskNode n : r.nodes()) {
            addNode(r, n, 0, results, groups, groupSubtasks);
        }
        for (TaskGroup g : r.groups()) {
            versions.put(g.name(), g.version());
            Map<String, Object> hib = new LinkedHashMap<>();
            g.metrics().forEach(m -> hib.put(m, true));
            higher.put(g.name(), hib);
        }
        for (TaskResult t : r.tasks().values()) {
            EvalTask task = t.task();
            configs.put(task.name(), task.config(t.shots()));
            versions.put(task.name(), task.version());
            nShot.put(task.name(), t.shots());
            higher.put(task.name(), new LinkedHashMap<>(task.higherIsBetter()));
            nSamples.put(task.name(), new LinkedHashMap<>(Map.of("original", t.originalSize(),
                    "effective", t.effectiveSize())));
        }
        for (TaskGroup g : r.groups()) {
            nShot.put(g.name(), g.allTasks().isEmpty() ? 0 : r.tasks().get(g.allTasks().getFirst().name()).shots());
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("results", results);
        if (!groups.isEmpty()) {
            tree.put("groups", groups);
        }
        tree.put("group_subtasks", groupSubtasks);
        tree.put("configs", sorted(configs));
        tree.put("versions", sorted(versions));
        tree.put("n-shot", sorted(nShot));
        tree.put("higher_is_better", sorted(higher));
        tree.put("n-samples", nSamples);
        tree.put("config", runConfig);
        tree.put("git_hash", null);
        tree.put("date", System.currentTimeMillis() / 1000.0);
        tree.put("model_name", modelName);
        return tree;
    }

    private static void addNode(EvalResults r, TaskNode node, int depth, Map<String, Object> results,
            Map<String, Object> groups, Map<String, Object> groupSubtasks) {
        switch (node) {
            case EvalTask t -> {
                TaskResult result = r.tasks().get(t.name());
                Map<String, Object> e = entry(alias(t.alias(), depth), result.metrics(), t.filter());
                // a generative task with several filters reports each, as the harness does (exact_match,flexible-extract)
                result.otherFilters().forEach((filter, metrics) -> e.putAll(entry("", metrics, filter)));
                e.put("alias", alias(t.alias(), depth));
                results.put(t.name(), e);
            }
            case TaskGroup g -> {
                String filter = g.allTasks().isEmpty() ? FILTER : g.allTasks().getFirst().filter();
                Map<String, Object> e = entry(alias(g.alias(), depth), r.groupMetrics(g), filter);
                results.put(g.name(), e);
                groups.put(g.name(), e);
                List<TaskNode> members = members(g);
                List<String> names = new ArrayList<>();
                members.forEach(m -> names.add(m.name()));
                groupSubtasks.put(g.name(), names);
                for (TaskNode m : members) {
                    addNode(r, m, depth + 1, results, groups, groupSubtasks);
                }
            }
        }
    }

    /** A group's members in report order: by name, as the harness lists them. */
    static List<TaskNode> members(TaskGroup g) {
        List<TaskNode> members = new ArrayList<>(g.groups());
        members.addAll(g.tasks());
        members.sort(Comparator.comparing(TaskNode::name));
        return members;
    }

    /** The harness's alias at a depth: the name itself at the top, {@code " - name"} one level down, and so on. */
    static String alias(String alias, int depth) {
        return depth == 0 ? alias : " ".repeat(depth) + "- " + alias;
    }

    private static Map<String, Object> entry(String alias, Map<String, MetricValue> metrics, String filter) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("alias", alias);
        metrics.forEach((name, v) -> {
            e.put(name + "," + filter, number(v.value()));
            e.put(name + "_stderr," + filter, number(v.stderr()));
        });
        return e;
    }

    private static Object number(double v) {
        return Double.isNaN(v) ? "N/A" : (Object) v;
    }

    private static Map<String, Object> sorted(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.keySet().stream().sorted().forEach(k -> out.put(k, m.get(k)));
        return out;
    }

    /** Writes a tree as indented JSON (two spaces, {@code "key": value}, UTF-8 text unescaped). */
    public static void write(Object tree, Writer out) throws IOException {
        writer(true).writeValue(out, tree);
    }

    /** One JSON value on one line, for JSONL. */
    public static String line(Object value) throws IOException {
        return writer(false).writeValueAsString(value);
    }

    private static ObjectWriter writer(boolean pretty) {
        ObjectWriter w = MAPPER.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        if (!pretty) {
            return w;
        }
        DefaultPrettyPrinter p = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        p.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
        return w.with(p);
    }
}
