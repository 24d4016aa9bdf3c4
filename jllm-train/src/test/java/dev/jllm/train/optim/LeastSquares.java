package dev.jllm.train.optim;

import java.util.SplittableRandom;

/** min ‖Ax − b‖² / (2 rows) on random data, with its exact solution from the normal equations in double. */
final class LeastSquares {
    final double[][] a;
    final double[] b;
    final int rows;
    final int cols;

    LeastSquares(int rows, int cols, long seed) {
        this.rows = rows;
        this.cols = cols;
        SplittableRandom rnd = new SplittableRandom(seed);
        a = new double[rows][cols];
        b = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                a[r][c] = rnd.nextGaussian();
            }
            b[r] = rnd.nextGaussian() * 2;
        }
    }

    /** The mean-squared loss ‖Ax − b‖² / (2 rows) over rows [from, to). */
    double loss(double[] x, int from, int to) {
        double sum = 0;
        for (int r = from; r < to; r++) {
            double e = residual(x, r);
            sum += e * e;
        }
        return sum / (2.0 * (to - from));
    }

    double loss(double[] x) {
        return loss(x, 0, rows);
    }

    double loss(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return loss(d);
    }

    /** Gradient of the loss over rows [from, to), in double. */
    double[] gradient(double[] x, int from, int to) {
        double[] g = new double[cols];
        for (int r = from; r < to; r++) {
            double e = residual(x, r);
            for (int c = 0; c < cols; c++) {
                g[c] += e * a[r][c] / (to - from);
            }
        }
        return g;
    }

    /** Writes the full-batch gradient at {@code x} into {@code grad}. */
    void gradient(float[] x, float[] grad) {
        double[] d = new double[cols];
        for (int i = 0; i < cols; i++) {
            d[i] = x[i];
        }
        double[] g = gradient(d, 0, rows);
        for (int i = 0; i < cols; i++) {
            grad[i] = (float) g[i];
        }
    }

    private double residual(double[] x, int r) {
        double e = -b[r];
        for (int c = 0; c < cols; c++) {
            e += a[r][c] * x[c];
        }
        return e;
    }

    /** Solves AᵀA x = Aᵀb by Gaussian elimination with partial pivoting. */
    double[] solution() {
        double[][] m = new double[cols][cols + 1];
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < cols; j++) {
                for (int r = 0; r < rows; r++) {
                    m[i][j] += a[r][i] * a[r][j];
                }
            }
            for (int r = 0; r < rows; r++) {
                m[i][cols] += a[r][i] * b[r];
            }
        }
        for (int k = 0; k < cols; k++) {
            int pivot = k;
            for (int i = k + 1; i < cols; i++) {
                if (Math.abs(m[i][k]) > Math.abs(m[pivot][k])) {
                    pivot = i;
                }
            }
            double[] t = m[k];
            m[k] = m[pivot];
            m[pivot] = t;
            for (int i = k + 1; i < cols; i++) {
                double f = m[i][k] / m[k][k];
                for (int j = k; j <= cols; j++) {
                    m[i][j] -= f * m[k][j];
                }
            }
        }
        double[] x = new double[cols];
        for (int i = cols - 1; i >= 0; i--) {
            double s = m[i][cols];
            for (int j = i + 1; j < cols; j++) {
                s -= m[i][j] * x[j];
            }
            x[i] = s / m[i][i];
        }
        return x;
    }
}
