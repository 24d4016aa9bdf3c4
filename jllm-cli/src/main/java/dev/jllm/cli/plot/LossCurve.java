package dev.jllm.cli.plot;

import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.io.ChannelWrites;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The loss-curve picture of a run: training loss per step and validation loss where measured, against the step,
 * drawn from {@code metrics.csv} into a {@value #WIDTH}×{@value #HEIGHT} PNG written atomically. Drawing runs
 * headless (no display is needed).
 */
public final class LossCurve {
    /** The picture's width in pixels. */
    public static final int WIDTH = 800;
    /** The picture's name in a run folder. */
    public static final String FILE = "loss.png";
    /** The picture's height in pixels. */
    public static final int HEIGHT = 500;

    static {
        // charts are drawn off-screen; a server or a CI box has no display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private LossCurve() {
    }

    /**
     * Points of one curve.
     *
     * @param steps x values
     * @param losses y values
     */
    record Series(double[] steps, double[] losses) {
        boolean isEmpty() {
            return steps.length == 0;
        }
    }

    /**
     * Draws the curves of a {@code metrics.csv} ({@code step,loss,val_loss,...}) into {@code png}, atomically;
     * steps whose loss is not finite (skipped steps) are left out. Does nothing when the file holds no step yet.
     *
     * @throws IOException when the metrics cannot be read or the picture cannot be written or drawn
     */
    public static void write(Path metrics, Path png) throws IOException {
        List<double[]> train = new ArrayList<>();
        List<double[]> val = new ArrayList<>();
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            String[] f = line.split(",", -1);
            if (f.length < 3 || !f[0].matches("\\d+")) {
                continue; // the header
            }
            double step = Long.parseLong(f[0]);
            add(train, step, f[1]);
            add(val, step, f[2]);
        }
        if (train.isEmpty() && val.isEmpty()) {
            return;
        }
        byte[] bytes = render(series(train), series(val));
        AtomicFile.write(png, ch -> ChannelWrites.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** The PNG bytes of the two curves (either may be empty, not both). */
    static byte[] render(Series train, Series validation) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Loss").xAxisTitle("step")
                .yAxisTitle("loss (nats per token)").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE).setLegendVisible(true);
        if (!train.isEmpty()) {
            XYSeries s = chart.addSeries("train", train.steps(), train.losses());
            s.setMarker(SeriesMarkers.NONE).setLineColor(new Color(0x1F77B4)).setLineStyle(new BasicStroke(1.5f));
        }
        if (!validation.isEmpty()) {
            XYSeries s = chart.addSeries("validation", validation.steps(), validation.losses());
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(new Color(0xD62728)).setLineColor(new Color(0xD62728))
                    .setLineStyle(new BasicStroke(2f));
        }
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (RuntimeException | LinkageError e) {
            // e.g. a JVM without font libraries: no picture, but say why
            throw new IOException("cannot draw the loss curve: " + e, e);
        }
    }

    private static void add(List<double[]> points, double step, String field) {
        if (field.isEmpty()) {
            return;
        }
        double v;
        try {
            v = Double.parseDouble(field);
        } catch (NumberFormatException e) {
            return;
        }
        if (Double.isFinite(v)) {
            points.add(new double[] {step, v});
        }
    }

    private static Series series(List<double[]> points) {
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Series(x, y);
    }
}
