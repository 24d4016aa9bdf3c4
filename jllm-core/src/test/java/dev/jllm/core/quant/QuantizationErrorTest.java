package dev.jllm.core.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Quantize → dequantize error of every type jllm writes, on N(0, 1) data, held to a bound per type
 * and printed as a table (the figures in docs/BENCHMARKS.md come from this output).
 */
class QuantizationErrorTest {
    private static final int N = 64 * 4096;

    /** Bounds on RMSE for unit Gaussian data: about 10% above what each type reaches. */
    private static final Object[][] BOUNDS = {
        {DType.F16, 3.0e-4}, {DType.BF16, 2.5e-3},
        {DType.Q8_0, 0.0060}, {DType.Q6_K, 0.0190},
        {DType.Q5_K, 0.0380}, {DType.Q5_1, 0.0420}, {DType.Q5_0, 0.0470},
        {DType.Q4_K, 0.0760}, {DType.Q4_1, 0.0850}, {DType.Q4_0, 0.0950},
        {DType.NF4, 0.1000}, {DType.Q3_K, 0.1650}, {DType.Q2_K, 0.3200},
    };

    @Test
    void everyWrittenTypeStaysWithinItsErrorBoundOnGaussianData() {
        Random rnd = new Random(20261128);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        List<String> failures = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format("%-5s %9s %9s %8s%n", "type", "rmse", "bound", "bits/w"));
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] row : BOUNDS) {
                DType t = (DType) row[0];
                double bound = (Double) row[1];
                MemorySegment q = arena.allocate(t.bytesFor(N), 64);
                WeightKernels.quantizer(t).quantize(x, 0, N, q, 0);
                float[] back = new float[N];
                WeightKernels.reference(t).dequantize(q, 0, back, 0, N);
                double se = 0;
                for (int i = 0; i < N; i++) {
                    double e = back[i] - x[i];
                    se += e * e;
                }
                double rmse = Math.sqrt(se / N);
                table.append(String.format("%-5s %9.5f %9.5f %8.3f%n", t, rmse, bound, 8.0 * t.blockBytes() / t.blockSize()));
                if (!(rmse <= bound)) {
                    failures.add(t + " rmse " + rmse + " > " + bound);
                }
            }
        }
        System.out.print(table);
        assertTrue(failures.isEmpty(), failures + "\n" + table);
    }

    @Test
    void everyWrittenTypeIsListedHere() {
        for (DType t : DType.values()) {
            if (WeightKernels.canQuantize(t) && t != DType.F32) {
                boolean listed = false;
                for (Object[] row : BOUNDS) {
                    listed |= row[0] == t;
                }
                assertTrue(listed, t + " has a quantizer but no error bound in this test");
            }
        }
    }
}
