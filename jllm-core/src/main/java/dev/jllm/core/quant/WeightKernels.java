package dev.jllm.core.quant;

import dev.jllm.core.quant.floats.FloatFamily;
import dev.jllm.core.quant.kquant.KQuantFamily;
import dev.jllm.core.quant.legacy.LegacyFamily;
import dev.jllm.core.quant.nf4.Nf4Family;
import dev.jllm.core.tensor.DType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Finds the kernels and quantizer of each weight type. */
public final class WeightKernels {
    private static final List<WeightFamily> FAMILIES =
            List.of(new FloatFamily(), new LegacyFamily(), new KQuantFamily(), new Nf4Family());
    private static final Map<DType, WeightKernel> SIMD = new EnumMap<>(DType.class);
    private static final Map<DType, WeightKernel> REFERENCE = new EnumMap<>(DType.class);
    private static final Map<DType, Quantizer> QUANTIZERS = new EnumMap<>(DType.class);

    static {
        for (DType t : DType.values()) {
            for (WeightFamily f : FAMILIES) {
                WeightKernel s = f.simd(t);
                if (s != null) {
                    SIMD.put(t, s);
                }
                WeightKernel r = f.reference(t);
                if (r != null) {
                    REFERENCE.put(t, r);
                }
                Quantizer q = f.quantizer(t);
                if (q != null) {
                    QUANTIZERS.put(t, q);
                }
            }
        }
    }

    private WeightKernels() {
    }

    /**
     * The SIMD kernels of {@code type}.
     *
     * @throws IllegalArgumentException if jllm has no kernels for it (the activation-only types)
     */
    public static WeightKernel simd(DType type) {
        WeightKernel k = SIMD.get(type);
        if (k == null) {
            throw new IllegalArgumentException("no kernels for weight type " + type);
        }
        return k;
    }

    /** The scalar reference kernels of {@code type}; tests hold the SIMD ones to these. */
    public static WeightKernel reference(DType type) {
        WeightKernel k = REFERENCE.get(type);
        if (k == null) {
            throw new IllegalArgumentException("no reference kernels for weight type " + type);
        }
        return k;
    }

    /** Whether jllm has kernels for {@code type}. */
    public static boolean hasKernels(DType type) {
        return SIMD.containsKey(type);
    }

    /**
     * The quantizer of {@code type}.
     *
     * @throws IllegalArgumentException if jllm does not write that type
     */
    public static Quantizer quantizer(DType type) {
        Quantizer q = QUANTIZERS.get(type);
        if (q == null) {
            throw new IllegalArgumentException("jllm cannot quantize to " + type);
        }
        return q;
    }

    /** Whether jllm writes {@code type}. */
    public static boolean canQuantize(DType type) {
        return QUANTIZERS.containsKey(type);
    }
}
