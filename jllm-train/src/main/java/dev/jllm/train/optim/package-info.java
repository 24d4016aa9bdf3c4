/**
 * Optimizers (AdamW, SGD with momentum), learning-rate schedules, gradient clipping and
 * accumulation, and BF16 shadows of F32 master weights.
 *
 * <p>The unit of work is a {@link dev.jllm.train.optim.Parameter}: a named {@code float[]} of
 * weights with a gradient of the same length. A training step is, in order:
 * <pre>{@code
 * optimizer.zeroGrad(params);                        // or let the first backward overwrite
 * for (micro batches) { loss * accumulation.lossScale() -> backward (adds into grad) }
 * double norm = GradientClipping.clipByGlobalNorm(params, 1.0, pool);
 * if (!Double.isFinite(norm)) skip the step (grads are left untouched)
 * optimizer.step(params, schedule.lr(optimizer.steps()));
 * shadows.refresh(pool);                             // only with BF16 weights
 * }</pre>
 * Every element-wise loop has a Vector API path and a scalar reference that gives the same bits;
 * large tensors are split over a {@link dev.jllm.core.parallel.WorkerPool} in fixed chunks, so
 * results never depend on the thread count.
 */
package dev.jllm.train.optim;
