package dev.jllm.cli.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The results bar chart: which entries become bars, and that a higher score draws a taller bar in the PNG. */
class ResultsChartTest {
    @TempDir
    Path dir;

    static Map<String, Object> tree(double acc) {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("mmlu", new LinkedHashMap<>(Map.of("alias", "mmlu", "acc,none", acc, "acc_stderr,none", 0.05)));
        results.put("ceval-valid_law", new LinkedHashMap<>(Map.of("alias", " - ceval-valid_law", "acc_norm,none", 0.5,
                "acc_norm_stderr,none", "N/A")));
        results.put("perplexity", new LinkedHashMap<>(Map.of("alias", "perplexity", "word_perplexity,none", 80.0)));
        return Map.of("results", results);
    }

    static long barPixels(byte[] png) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(ResultsChart.WIDTH, image.getWidth());
        assertEquals(ResultsChart.HEIGHT, image.getHeight());
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                n += (image.getRGB(x, y) & 0xFFFFFF) == ResultsChart.BAR.getRGB() - 0xFF000000 ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void scoresBecomeBarsAndHigherScoresDrawTallerBars() throws Exception {
        List<ResultsChart.Bar> bars = ResultsChart.bars(tree(0.9));
        assertEquals(List.of(new ResultsChart.Bar("mmlu acc", 0.9, 0.05),
                new ResultsChart.Bar("ceval-valid_law acc_norm", 0.5, 0)), bars);
        long high = barPixels(ResultsChart.render(List.of(new ResultsChart.Bar("t acc", 0.9, 0))));
        long low = barPixels(ResultsChart.render(List.of(new ResultsChart.Bar("t acc", 0.2, 0))));
        assertTrue(low > 0 && high > 3 * low, high + " vs " + low);
        Path png = dir.resolve("chart.png");
        assertTrue(ResultsChart.write(tree(0.4), png));
        assertTrue(Files.size(png) > 0);
        Map<String, Object> onlyPerplexity = Map.of("results",
                Map.of("perplexity", Map.of("alias", "perplexity", "word_perplexity,none", 80.0)));
        assertFalse(ResultsChart.write(onlyPerplexity, dir.resolve("none.png")));
        assertFalse(Files.exists(dir.resolve("none.png")));
    }
}
