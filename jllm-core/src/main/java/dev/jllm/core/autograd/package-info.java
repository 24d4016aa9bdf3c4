/**
 * Reverse-mode automatic differentiation over layer-sized ops, for training.
 *
 * <p>Ops are whole layers (a matrix product, a normalisation, attention over all heads, a loss),
 * each with a hand-written backward pass on {@link dev.jllm.core.linalg.Sgemm} and the Vector API,
 * so the tape holds tens of steps per layer rather than one per scalar. A step of training:
 *
 * <pre>{@code
 * Tape tape = new Tape(WorkerPool.common());
 * Variable x = Embedding.lookup(tape, tokenTable, ids);
 * Variable h = Norms.rmsNorm(tape, x, norm, 1e-5f);
 * Variable logits = Linear.linear(tape, h, output);            // h·outputᵀ
 * Variable loss = CrossEntropy.loss(tape, logits, targets, -100);
 * tape.backward(loss);                                          // gradients into tokenTable.grad(), ...
 * optimizer.step(parameters);                                   // reads Variable.grad()
 * tape.clear();                                                 // arrays go back for the next step
 * }</pre>
 *
 * <p>Ops: {@link dev.jllm.core.autograd.Embedding}, {@link dev.jllm.core.autograd.Linear} (with
 * transposes, and with frozen weights of any quantized type for QLoRA),
 * {@link dev.jllm.core.autograd.Arithmetic} (add, mul with row broadcasting, scale),
 * {@link dev.jllm.core.autograd.Columns} (slice, concat), {@link dev.jllm.core.autograd.Norms}
 * (RMSNorm, LayerNorm), {@link dev.jllm.core.autograd.RotaryEmbedding},
 * {@link dev.jllm.core.autograd.Attention} (causal, grouped-query, sliding window, batched),
 * {@link dev.jllm.core.autograd.Activation} (SiLU, GELU, SwiGLU, softmax),
 * {@link dev.jllm.core.autograd.CrossEntropy} and {@link dev.jllm.core.autograd.Dropout}. Each is
 * checked against central differences of a double-precision reference in the tests.
 *
 * <p>Results are deterministic: the same inputs and thread count give bit-identical values and
 * gradients (every reduction runs in a fixed order; in fact no op's result depends on the thread
 * count).
 */
package dev.jllm.core.autograd;
