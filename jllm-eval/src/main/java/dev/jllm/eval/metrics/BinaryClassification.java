package dev.jllm.eval.metrics;

/**
 * Corpus-level metrics of binary predictions, as scikit-learn computes them for the harness: {@code f1_score} with
 * 1 as the positive label and {@code matthews_corrcoef}.
 */
public final class BinaryClassification {
    private BinaryClassification() {
    }

    /** F1 of the positive class: 2·TP / (2·TP + FP + FN), 0 when there is no positive at all. */
    public static double f1(int[] gold, int[] predicted) {
        long[] c = counts(gold, predicted);
        long tp = c[0];
        long fp = c[1];
        long fn = c[2];
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    /** Matthews correlation: (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)), 0 when a factor is 0. */
    public static double mcc(int[] gold, int[] predicted) {
        long[] c = counts(gold, predicted);
        double tp = c[0];
        double fp = c[1];
        double fn = c[2];
        double tn = c[3];
        double denominator = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
        return denominator == 0 ? 0 : (tp * tn - fp * fn) / denominator;
    }

    /** TP, FP, FN, TN. */
    private static long[] counts(int[] gold, int[] predicted) {
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException(gold.length + " labels but " + predicted.length + " predictions");
        }
        long[] c = new long[4];
        for (int i = 0; i < gold.length; i++) {
            boolean g = gold[i] == 1;
            boolean p = predicted[i] == 1;
            c[g && p ? 0 : !g && p ? 1 : g ? 2 : 3]++;
        }
        return c;
    }
}
