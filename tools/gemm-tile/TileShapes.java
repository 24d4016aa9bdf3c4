import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GFLOP/s of GEMM register tiles of 6, 5 and 4 rows × two vectors on one core, operands in L1, in alternating rounds
 * in one JVM: the experiment behind GemmKernel's MR. On a 16-register machine (AVX2) C2 spills two of the 6-row
 * tile's 12 accumulators to the stack; see tools/jit-disasm for how to look.
 */
public class TileShapes {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int NR = 2 * L;

    static void six(int kc, float[] a, float[] b, float[] c) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0; p < kc; p++) {
            int at = p * 6;
            FloatVector b0 = FloatVector.fromArray(S, b, p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, p * NR + L);
            FloatVector x = FloatVector.broadcast(S, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, a[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(S, a[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).add(c50).add(c51)
                .intoArray(c, 0);
    }

    static void five(int kc, float[] a, float[] b, float[] c) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z;
        for (int p = 0; p < kc; p++) {
            int at = p * 5;
            FloatVector b0 = FloatVector.fromArray(S, b, p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, p * NR + L);
            FloatVector x = FloatVector.broadcast(S, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(S, a[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).intoArray(c, 0);
    }

    static void four(int kc, float[] a, float[] b, float[] c) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++) {
            int at = p * 4;
            FloatVector b0 = FloatVector.fromArray(S, b, p * NR);
            FloatVector b1 = FloatVector.fromArray(S, b, p * NR + L);
            FloatVector x = FloatVector.broadcast(S, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(S, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(S, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(S, a[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).intoArray(c, 0);
    }

    public static void main(String[] args) {
        // k as a variable, as in GemmKernel: with a constant trip count C2 unrolls the loop and spills every shape
        int kc = args.length > 0 ? Integer.parseInt(args[0]) : 384;
        float[] a = new float[6 * kc];
        float[] b = new float[NR * kc];
        float[] c = new float[L];
        Arrays.fill(a, 0.5f);
        Arrays.fill(b, 0.25f);
        int[] rows = {6, 5, 4};
        int rounds = 9;
        int calls = 200_000;
        double[][] gflops = new double[rows.length][rounds];
        for (int round = -3; round < rounds; round++) {
            for (int v = 0; v < rows.length; v++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    switch (v) {
                        case 0 -> six(kc, a, b, c);
                        case 1 -> five(kc, a, b, c);
                        default -> four(kc, a, b, c);
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (round >= 0) {
                    gflops[v][round] = 2.0 * rows[v] * NR * kc * calls / seconds / 1e9;
                }
            }
        }
        System.out.printf("%d-lane vectors, one thread, k = %d%n", L, kc);
        for (int v = 0; v < rows.length; v++) {
            Arrays.sort(gflops[v]);
            System.out.printf("%d rows: median %.1f GFLOP/s (%.1f-%.1f)%n", rows[v], gflops[v][rounds / 2],
                    gflops[v][0], gflops[v][rounds - 1]);
        }
    }
}
