import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times the single-token product of two builds of jllm-core in one JVM, alternating short rounds, so that both
 * meet the same bandwidth and the same neighbours: this VM's speed moves by ±30% between runs minutes apart.
 * Arguments: JAR_A JAR_B TYPE ROWS COLS MIB THREADS ROUNDS.
 */
public final class KernelAb {
    private KernelAb() {
    }

    public static void main(String[] args) throws Exception {
        Path here = Path.of(System.getProperty("kernel.ab.classes", "."));
        Method[] setup = new Method[2];
        Method[] measure = new Method[2];
        for (int k = 0; k < 2; k++) {
            URLClassLoader loader = new URLClassLoader(
                    new URL[] {here.toUri().toURL(), Path.of(args[k]).toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            Class<?> side = loader.loadClass("KernelSide");
            setup[k] = side.getMethod("setup", String.class, int.class, int.class, int.class, int.class);
            measure[k] = side.getMethod("measure", double.class);
        }
        for (int k = 0; k < 2; k++) {
            setup[k].invoke(null, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Integer.parseInt(args[6]));
            measure[k].invoke(null, 2.0);
        }
        int rounds = Integer.parseInt(args[7]);
        double[][] gbps = new double[2][rounds];
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 2; k++) {
                gbps[k][i] = (double) measure[k].invoke(null, 0.3);
            }
        }
        for (int k = 0; k < 2; k++) {
            StringBuilder line = new StringBuilder(k == 0 ? "A " : "B ");
            for (double v : gbps[k]) {
                line.append(String.format("%.1f ", v));
            }
            double[] sorted = gbps[k].clone();
            Arrays.sort(sorted);
            System.out.println(line.append(String.format("| median %.1f", sorted[rounds / 2])));
        }
        System.exit(0);
    }
}
