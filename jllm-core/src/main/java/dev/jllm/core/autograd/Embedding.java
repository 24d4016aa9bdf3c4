package dev.jllm.core.autograd;

import dev.jllm.core.quant.WeightKernel;
import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;

/**
 * Embedding lookup: row {@code ids[t]} of a [V, D] table becomes row t of the output. Learned
 * positions are the same op with positions for ids.
 */
public final class Embedding {
    /** Columns per backward task: tasks own disjoint columns, so the scatter-add needs no locks. */
    private static final int COLUMN_BLOCK = 64;

    private Embedding() {
    }

    /**
     * The rows {@code ids} of {@code table} as an [ids.length, D] variable. The table's gradient
     * gets each output row's gradient added to row {@code ids[t]}, in order of t (repeated ids
     * accumulate).
     *
     * @throws IllegalArgumentException if the table is not two-dimensional or an id is out of range
     */
    public static Variable lookup(Tape tape, Variable table, int[] ids) {
        if (table.rank() != 2) {
            throw new IllegalArgumentException("an embedding table is [vocabulary, dimension], got " + table);
        }
        int vocab = table.dim(0);
        int d = table.dim(1);
        int[] rows = checkedIds(ids, vocab);
        int n = rows.length;
        boolean grad = tape.needsGrad(table);
        Variable y = tape.output(grad, n, d);
        float[] t = table.value();
        float[] out = y.value();
        tape.parallel(n, d, (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(t, rows[i] * d, out, i * d, d);
            }
        });
        if (grad) {
            tape.record(() -> {
                float[] gy = y.grad();
                if (gy == null) {
                    return;
                }
                float[] gt = tape.gradOf(table);
                int blocks = (d + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
                tape.parallel(blocks, n * COLUMN_BLOCK, (from, to) -> {
                    int c0 = from * COLUMN_BLOCK;
                    int len = Math.min(d, to * COLUMN_BLOCK) - c0;
                    for (int i = 0; i < n; i++) {
                        VectorMath.addInto(gy, i * d + c0, gt, rows[i] * d + c0, len);
                    }
                });
            });
        }
        return y;
    }

    /**
     * The rows {@code ids} of a frozen table of any weight type, dequantized: a constant [n, D]
     * (quantized token embeddings of a QLoRA base model).
     *
     * @throws IllegalArgumentException if the table is not two-dimensional or an id is out of range
     */
    public static Variable lookup(Tape tape, Tensor table, int[] ids) {
        if (table.rank() != 2 || table.cols() > Integer.MAX_VALUE || table.rows() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an embedding table is [vocabulary, dimension], got " + table);
        }
        int d = (int) table.cols();
        int[] rows = checkedIds(ids, (int) table.rows());
        WeightKernel kernel = WeightKernels.simd(table.type());
        Variable y = tape.output(false, rows.length, d);
        float[] out = y.value();
        long rowBytes = table.rowBytes();
        tape.parallel(rows.length, d, (from, to) -> {
            for (int i = from; i < to; i++) {
                kernel.dequantize(table.data(), rows[i] * rowBytes, out, i * d, d);
            }
        });
        return y;
    }

    private static int[] checkedIds(int[] ids, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("embedding id " + ids[i] + " at " + i + " is outside [0, " + vocab
                        + ")");
            }
        }
        return ids.clone(); // the caller may refill its array before backward runs
    }
}
