package dev.jllm.core.linalg;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel shared by {@link Sgemm} and {@link MatMul}: it adds the
 * product of an {@link #MR}-row sliver of packed A and an {@link #NR}-column sliver of packed B
 * to a tile of C.
 *
 * <p>Packed A holds, for each k, the {@code MR} values of one column of the sliver next to each
 * other; packed B holds, for each k, {@code NR} values of one row. Slivers are zero-padded to full
 * size, so the loop is always full width; only the write-back clips to the valid tile.
 */
final class GemmKernel {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Vector length in floats. */
    static final int L = SPECIES.length();
    /**
     * Rows of C per kernel call. With 32 vector registers (AVX-512), 6 rows × 2 vectors = 12 accumulators leave
     * room for operands. With 16 (AVX2), C2 spilled two of those 12 to the stack and the loop ran at 43 GFLOP/s on
     * one Zen 3 core; 4 rows (8 accumulators) stay in registers and run at 94, about the core's peak.
     */
    static final int MR = L >= 16 ? 6 : 4;
    /** Rows at most which a tile runs through the 3-row kernel, so that a short tail computes no more than 3. */
    static final int HALF = 3;
    /** Columns of C per kernel call: two vectors. */
    static final int NR = 2 * L;

    private GemmKernel() {
    }

    /**
     * C[0..rows)[0..cols) += packedA-sliver · packedB-sliver over {@code kc} steps.
     *
     * @param a packed A, sliver starting at {@code ai} ({@code MR * kc} floats)
     * @param b packed B, sliver starting at {@code bi} ({@code NR * kc} floats)
     * @param c output, tile at {@code ci} with row stride {@code ldc}
     * @param rows valid rows of the tile (≤ MR)
     * @param cols valid columns of the tile (≤ NR)
     * @param edge scratch of at least {@code MR * NR} floats for clipped tiles
     */
    static void multiplyAdd(int kc, float[] a, int ai, float[] b, int bi,
                            float[] c, int ci, int ldc, int rows, int cols, float[] edge) {
        if (rows <= HALF) {
            multiplyAddHalf(kc, a, ai, b, bi, c, ci, ldc, rows, cols, edge);
            return;
        }
        if (MR == 4) {
            multiplyAddFour(kc, a, ai, b, bi, c, ci, ldc, rows, cols, edge);
            return;
        }
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        // one induction variable with indices linear in it: C2 then hoists every bounds check out of the loop
        for (int p = 0; p < kc; p++) {
            int at = ai + p * MR;
            int bt = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bt);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bt + L);
            FloatVector x = FloatVector.broadcast(SPECIES, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(SPECIES, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(SPECIES, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(SPECIES, a[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(SPECIES, a[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(SPECIES, a[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        if (rows == MR && cols == NR) {
            addRow(c, ci, c00, c01);
            addRow(c, ci + ldc, c10, c11);
            addRow(c, ci + 2 * ldc, c20, c21);
            addRow(c, ci + 3 * ldc, c30, c31);
            addRow(c, ci + 4 * ldc, c40, c41);
            addRow(c, ci + 5 * ldc, c50, c51);
            return;
        }
        // Clipped tile: spill the accumulators and add the valid part element by element.
        c00.intoArray(edge, 0);
        c01.intoArray(edge, L);
        c10.intoArray(edge, NR);
        c11.intoArray(edge, NR + L);
        c20.intoArray(edge, 2 * NR);
        c21.intoArray(edge, 2 * NR + L);
        c30.intoArray(edge, 3 * NR);
        c31.intoArray(edge, 3 * NR + L);
        c40.intoArray(edge, 4 * NR);
        c41.intoArray(edge, 4 * NR + L);
        c50.intoArray(edge, 5 * NR);
        c51.intoArray(edge, 5 * NR + L);
        addClipped(c, ci, ldc, rows, cols, edge);
    }

    /** {@link #multiplyAdd} for a full 4-row tile, {@link #MR} on machines with 16 vector registers. */
    private static void multiplyAddFour(int kc, float[] a, int ai, float[] b, int bi,
                                        float[] c, int ci, int ldc, int rows, int cols, float[] edge) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0; p < kc; p++) {
            int at = ai + p * MR;
            int bt = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bt);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bt + L);
            FloatVector x = FloatVector.broadcast(SPECIES, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(SPECIES, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(SPECIES, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(SPECIES, a[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
        }
        if (rows == 4 && cols == NR) {
            addRow(c, ci, c00, c01);
            addRow(c, ci + ldc, c10, c11);
            addRow(c, ci + 2 * ldc, c20, c21);
            addRow(c, ci + 3 * ldc, c30, c31);
            return;
        }
        c00.intoArray(edge, 0);
        c01.intoArray(edge, L);
        c10.intoArray(edge, NR);
        c11.intoArray(edge, NR + L);
        c20.intoArray(edge, 2 * NR);
        c21.intoArray(edge, 2 * NR + L);
        c30.intoArray(edge, 3 * NR);
        c31.intoArray(edge, 3 * NR + L);
        addClipped(c, ci, ldc, rows, cols, edge);
    }

    /**
     * {@link #multiplyAdd} for a tile of at most {@link #HALF} rows: the same packed A (MR floats a step, of
     * which it reads the first three), half the arithmetic of 6 rows. A batch's last tile is often this one.
     */
    private static void multiplyAddHalf(int kc, float[] a, int ai, float[] b, int bi,
                                        float[] c, int ci, int ldc, int rows, int cols, float[] edge) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        for (int p = 0; p < kc; p++) {
            int at = ai + p * MR;
            int bt = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bt);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bt + L);
            FloatVector x = FloatVector.broadcast(SPECIES, a[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(SPECIES, a[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(SPECIES, a[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
        }
        if (rows == HALF && cols == NR) {
            addRow(c, ci, c00, c01);
            addRow(c, ci + ldc, c10, c11);
            addRow(c, ci + 2 * ldc, c20, c21);
            return;
        }
        c00.intoArray(edge, 0);
        c01.intoArray(edge, L);
        c10.intoArray(edge, NR);
        c11.intoArray(edge, NR + L);
        c20.intoArray(edge, 2 * NR);
        c21.intoArray(edge, 2 * NR + L);
        addClipped(c, ci, ldc, rows, cols, edge);
    }

    /**
     * Adds the spilled tile in {@code edge} to C, clipped to rows × cols. No vector crosses this call: a
     * vector argument of a call C2 does not inline is boxed (the kernel then runs ten times slower).
     */
    private static void addClipped(float[] c, int ci, int ldc, int rows, int cols, float[] edge) {
        for (int r = 0; r < rows; r++) {
            int row = ci + r * ldc;
            for (int j = 0; j < cols; j++) {
                c[row + j] += edge[r * NR + j];
            }
        }
    }

    private static void addRow(float[] c, int at, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(SPECIES, c, at).add(v0).intoArray(c, at);
        FloatVector.fromArray(SPECIES, c, at + L).add(v1).intoArray(c, at + L);
    }
}
