package dev.jllm.model;

/**
 * How a model stretches RoPE beyond its training length, applied to the per-pair frequencies.
 */
public sealed interface RopeScaling {
    /** No scaling. */
    RopeScaling NONE = new None();

    /** The frequencies of pairs 0 .. rotaryDim/2 − 1 after scaling. */
    double[] scale(double[] frequencies);

    /** Plain RoPE. */
    record None() implements RopeScaling {
        @Override
        public double[] scale(double[] frequencies) {
            return frequencies.clone();
        }
    }

    /** Position interpolation: every frequency divided by {@code factor}. */
    record Linear(double factor) implements RopeScaling {
        /** Checks the factor. */
        public Linear {
            if (!(factor > 0) || !Double.isFinite(factor)) {
                throw new IllegalArgumentException("linear RoPE scaling factor must be positive, got " + factor);
            }
        }

        @Override
        public double[] scale(double[] frequencies) {
            double[] out = new double[frequencies.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = frequencies[i] / factor;
            }
            return out;
        }
    }

    /**
     * Llama 3.1's scaling: wavelengths shorter than {@code originalContext / highFreqFactor} keep their
     * frequency, those longer than {@code originalContext / lowFreqFactor} are divided by {@code factor},
     * and the band between blends the two linearly in {@code originalContext / wavelength}.
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalContext)
            implements RopeScaling {
        /** Checks the parameters. */
        public Llama3 {
            if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
                throw new IllegalArgumentException("llama3 RoPE scaling needs factor > 0, 0 < low_freq_factor < "
                        + "high_freq_factor and a positive original context; got factor " + factor + ", low "
                        + lowFreqFactor + ", high " + highFreqFactor + ", original context " + originalContext);
            }
        }

        @Override
        public double[] scale(double[] frequencies) {
            double lowFreqWavelength = originalContext / lowFreqFactor;
            double highFreqWavelength = originalContext / highFreqFactor;
            double[] out = new double[frequencies.length];
            for (int i = 0; i < out.length; i++) {
                double f = frequencies[i];
                double wavelength = 2 * Math.PI / f;
                if (wavelength < highFreqWavelength) {
                    out[i] = f;
                } else if (wavelength > lowFreqWavelength) {
                    out[i] = f / factor;
                } else {
                    double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    out[i] = (1 - smooth) * f / factor + smooth * f;
                }
            }
            return out;
        }
    }

    /** Per-pair divisors stored with the model (GGUF's {@code rope_freqs.weight}, which llama.cpp's converter writes for Llama 3.1+). */
    record Divisors(float[] divisors) implements RopeScaling {
        /** Checks the divisors. */
        public Divisors {
            for (float d : divisors) {
                if (!(d > 0) || !Float.isFinite(d)) {
                    throw new IllegalArgumentException("RoPE frequency divisors must be positive, got " + d);
                }
            }
            divisors = divisors.clone();
        }

        @Override
        public double[] scale(double[] frequencies) {
            if (frequencies.length != divisors.length) {
                throw new IllegalArgumentException(divisors.length + " RoPE frequency divisors for "
                        + frequencies.length + " rotary pairs");
            }
            double[] out = new double[frequencies.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = frequencies[i] / divisors[i];
            }
            return out;
        }
    }
}
