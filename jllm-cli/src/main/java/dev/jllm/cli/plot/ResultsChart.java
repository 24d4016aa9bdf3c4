package dev.jllm.cli.plot;

import dev.jllm.eval.report.ResultsJson;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.io.ChannelWrites;
import java.awt.Color;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * A bar chart of a run's scores: one bar per task and group of the results, the first of its metrics that is a
 * score between 0 and 1 (acc, acc_norm, exact_match, mcc, f1, pearson,
 * spearmanr), with its standard error as an error bar where
 * there is one. Perplexities are left out: their scale is not a score's.
 */
public final class ResultsChart {
    /** Picture width in pixels. */
    public static final int WIDTH = 900;
    /** Picture height in pixels. */
    public static final int HEIGHT = 520;

    /** The bars' colour. */
    static final Color BAR = new Color(0x1F77B4);

    private static final List<String> SCORES = List.of("acc", "acc_norm", "exact_match", "mcc", "f1", "pearson",
            "spearmanr");

    static {
        // charts are drawn off-screen; a server or a CI box has no display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ResultsChart() {
    }

    /** One bar: its label, value and error (0 when none). */
    record Bar(String label, double value, double error) {
    }

    /** The bars of a results tree as {@link ResultsJson#tree} builds it, in its order. */
    @SuppressWarnings("unchecked")
    static List<Bar> bars(Map<String, Object> tree) {
        List<Bar> bars = new ArrayList<>();
        Map<String, Object> results = (Map<String, Object>) tree.get("results");
        for (Map.Entry<String, Object> e : results.entrySet()) {
            Map<String, Object> dic = (Map<String, Object>) e.getValue();
            String filter = ResultsJson.FILTER;
            for (String key : dic.keySet()) {
                if (key.contains(",")) {
                    filter = key.substring(key.indexOf(',') + 1);
                }
            }
            for (String metric : SCORES) {
                Object v = dic.get(metric + "," + filter);
                if (v instanceof Double d && Double.isFinite(d)) {
                    Object se = dic.get(metric + "_stderr," + filter);
                    // the alias without the table's indentation (" - ", "  - ")
                    String alias = ((String) dic.getOrDefault("alias", e.getKey())).strip().replaceFirst("^- ", "");
                    bars.add(new Bar(alias + " " + metric, d, se instanceof Double s && Double.isFinite(s) ? s : 0));
                    break;
                }
            }
        }
        return bars;
    }

    /**
     * Draws the chart of {@code tree} into {@code png} (atomically); writes nothing and returns false when no
     * result is a score.
     *
     * @throws IOException if drawing (e.g. a JVM without fonts) or writing fails
     */
    public static boolean write(Map<String, Object> tree, Path png) throws IOException {
        List<Bar> bars = bars(tree);
        if (bars.isEmpty()) {
            return false;
        }
        byte[] bytes = render(bars);
        AtomicFile.write(png, ch -> ChannelWrites.writeFully(ch, ByteBuffer.wrap(bytes)));
        return true;
    }

    static byte[] render(List<Bar> bars) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title("jllm eval")
                .yAxisTitle("score").build();
        double min = 0;
        for (Bar b : bars) {
            min = Math.min(min, b.value() - b.error());
        }
        // correlations may be negative; the axis then reaches below 0
        org.knowm.xchart.style.CategoryStyler style = chart.getStyler();
        style.setChartBackgroundColor(Color.WHITE);
        style.setLegendVisible(false);
        style.setYAxisMin(Math.max(-1, min));
        style.setYAxisMax(1.0);
        style.setXAxisLabelRotation(bars.size() > 4 ? 45 : 0);
        style.setErrorBarsColor(Color.BLACK);
        chart.getStyler().setSeriesColors(new Color[] {BAR});
        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Double> errors = new ArrayList<>();
        for (Bar b : bars) {
            labels.add(b.label());
            values.add(b.value());
            errors.add(b.error());
        }
        chart.addSeries("score", labels, values, errors);
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (RuntimeException | LinkageError e) {
            throw new IOException("cannot draw the results chart: " + e, e);
        }
    }
}
