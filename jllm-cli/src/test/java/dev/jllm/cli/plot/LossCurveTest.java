package dev.jllm.cli.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss curve: a PNG of the stated size that ImageIO decodes, whose pixels follow the metrics. */
class LossCurveTest {
    private static final int TRAIN_RGB = 0x1F77B4;
    private static final int VALIDATION_RGB = 0xD62728;

    /** A metrics.csv with a falling loss (scaled by {@code scale}) and, when asked, a validation loss every 10 steps. */
    private static Path metrics(Path dir, String name, double scale, boolean validation) throws Exception {
        StringBuilder sb = new StringBuilder("step,loss,val_loss,lr,grad_norm,tokens_per_s\n");
        for (int s = 1; s <= 50; s++) {
            String val = validation && s % 10 == 0 ? String.format(Locale.ROOT, "%.6f", scale * 6.0 / Math.sqrt(s)) : "";
            String loss = s == 7 ? "NaN" : String.format(Locale.ROOT, "%.6f", scale * 5.0 / Math.sqrt(s));
            sb.append(String.format(Locale.ROOT, "%d,%s,%s,0.001,0.5,1000.0%n", s, loss, val));
        }
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    private static long pixelsOf(BufferedImage img, int rgb) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    private static BufferedImage decode(Path png) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(png)));
        assertNotNull(img, png + " is not an image ImageIO reads");
        return img;
    }

    @Test
    void drawsBothCurvesAtTheStatedSize(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("loss.png");
        LossCurve.write(metrics(dir, "a.csv", 1.0, true), png);
        BufferedImage a = decode(png);
        assertEquals(LossCurve.WIDTH, a.getWidth());
        assertEquals(LossCurve.HEIGHT, a.getHeight());
        assertTrue(pixelsOf(a, TRAIN_RGB) > 200, "the training curve is drawn");
        assertTrue(pixelsOf(a, VALIDATION_RGB) > 200, "the validation curve is drawn");
        try (Stream<Path> files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary file left");
        }

        byte[] first = Files.readAllBytes(png);
        LossCurve.write(metrics(dir, "a.csv", 1.0, true), png);
        assertArrayEquals(first, Files.readAllBytes(png), "the same metrics draw the same picture");

        LossCurve.write(metrics(dir, "b.csv", 1.5, true), png);
        BufferedImage b = decode(png);
        assertEquals(LossCurve.WIDTH, b.getWidth());
        assertFalse(java.util.Arrays.equals(a.getRGB(0, 0, a.getWidth(), a.getHeight(), null, 0, a.getWidth()),
                b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth())), "other losses, other pixels");

        LossCurve.write(metrics(dir, "c.csv", 1.0, false), png);
        BufferedImage c = decode(png);
        assertTrue(pixelsOf(c, TRAIN_RGB) > 200);
        assertEquals(0, pixelsOf(c, VALIDATION_RGB), "no validation losses, no validation curve");
    }

    @Test
    void aFileWithoutStepsDrawsNothing(@TempDir Path dir) throws Exception {
        Path csv = Files.writeString(dir.resolve("m.csv"), "step,loss,val_loss,lr,grad_norm,tokens_per_s\n");
        LossCurve.write(csv, dir.resolve("loss.png"));
        assertFalse(Files.exists(dir.resolve("loss.png")));
    }
}
