package dev.jllm.runtime.schedule;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.decoder.DecoderBatch;
import dev.jllm.runtime.ContextOverflowException;
import dev.jllm.runtime.Generator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous batching over one decoder. Up to {@code parallel} sequences run together: each step adds
 * the pending token of every decoding sequence and a chunk of at most {@code prefillChunk} prompt
 * tokens (of the sequences still prefilling) to one {@link DecoderBatch}, runs it, then samples every
 * sequence whose logits came back. Requests wait in a bounded queue and join between steps, each in
 * a slot with its own KV cache; a slot keeps its cache after a sequence ends, and a request goes to
 * the free slot whose cache shares the longest prefix with its prompt, so a chat that resends its
 * history pays only for the new tokens.
 *
 * <p>All model work happens on the scheduler's own thread; {@link #submit} and {@link Ticket#cancel}
 * are safe from any thread. Listeners run on the scheduler's thread and must not block.
 */
public final class Scheduler implements AutoCloseable {
    /**
     * How a scheduler runs.
     *
     * @param cacheType the KV cache's element type (F32, F16 or Q8_0)
     * @param contextLength the most tokens a sequence may hold
     * @param parallel how many sequences run together (slots)
     * @param queueCapacity how many requests may wait for a slot
     * @param prefillChunk prompt tokens per step, all prefilling sequences together
     */
    public record Options(DType cacheType, int contextLength, int parallel, int queueCapacity, int prefillChunk) {
        /** Checks the options, naming the bad one. */
        public Options {
            if (parallel < 1) {
                throw new IllegalArgumentException("parallel must be at least 1, got " + parallel);
            }
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queue must hold at least 1 request, got " + queueCapacity);
            }
            if (prefillChunk < 1) {
                throw new IllegalArgumentException("prefill chunk must be positive, got " + prefillChunk);
            }
        }

        /** One slot, as the CLI's generate and chat use it. */
        public static Options single(DType cacheType, int contextLength) {
            return new Options(cacheType, contextLength, 1, 1, Generator.DEFAULT_PREFILL_CHUNK);
        }
    }

    private final Decoder decoder;
    private final Tokenizer tokenizer;
    private final Options options;
    private final Generator[] slots;
    private final ScheduledSequence[] running;
    private final ArrayBlockingQueue<ScheduledSequence> queue;
    private final DecoderBatch batch = new DecoderBatch();
    private final Generator[] wanting;
    private final ScheduledSequence[] wantingSequence;
    private final float[] logits;
    private final int[] scratch = new int[1];
    private final int[] stepTokens;
    private final long[] lastUsed;
    private long admissions;
    private final Thread loop;
    private final Object signal = new Object();
    private final RecentRate rate = new RecentRate();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile long promptTokens;
    private volatile long generatedTokens;
    private volatile long steps;
    private volatile long busyNanos;
    private volatile int active;
    private volatile boolean closed;

    /**
     * A scheduler with empty slots, its thread started.
     *
     * @param tokenizer decodes generated tokens to text; null to stream ids only
     * @throws IllegalArgumentException if the context length exceeds the model's
     */
    public Scheduler(Decoder decoder, Tokenizer tokenizer, Options options) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.options = options;
        this.slots = new Generator[options.parallel()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Generator(decoder, options.cacheType(), options.contextLength(), options.prefillChunk());
        }
        this.running = new ScheduledSequence[options.parallel()];
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.wanting = new Generator[options.parallel()];
        this.stepTokens = new int[options.parallel()];
        this.lastUsed = new long[options.parallel()];
        this.wantingSequence = new ScheduledSequence[options.parallel()];
        this.logits = new float[options.parallel() * decoder.config().vocabSize()];
        this.loop = Thread.ofPlatform().name("jllm-scheduler").daemon().unstarted(this::runLoop);
        loop.start();
    }

    /** The options it runs with. */
    public Options options() {
        return options;
    }

    /** The decoder it runs. */
    public Decoder decoder() {
        return decoder;
    }

    /**
     * Queues a sequence.
     *
     * @throws ContextOverflowException if the prompt alone does not fit the context
     * @throws IllegalArgumentException if a prompt token is outside the vocabulary
     * @throws QueueFullException if the queue is full
     * @throws IllegalStateException if the scheduler is closed
     */
    public Ticket submit(SequenceRequest request, SequenceListener listener) {
        int[] prompt = request.prompt();
        if (prompt.length > options.contextLength()) {
            throw new ContextOverflowException(prompt.length, options.contextLength());
        }
        int vocab = decoder.config().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab);
            }
        }
        if (closed) {
            throw new IllegalStateException("the scheduler is closed");
        }
        ScheduledSequence s = new ScheduledSequence(request, listener, this::dequeue);
        if (!queue.offer(s)) {
            rejected.incrementAndGet();
            throw new QueueFullException(options.queueCapacity());
        }
        submitted.incrementAndGet();
        synchronized (signal) {
            signal.notifyAll();
        }
        return s.ticket;
    }

    /** Ends a cancelled sequence that still waits in the queue (a running one ends at its next step). */
    private void dequeue(ScheduledSequence s) {
        if (queue.remove(s)) {
            finish(s, s.result(null));
        }
    }

    /** A snapshot of the work done so far. */
    public SchedulerStats stats() {
        return new SchedulerStats(active, queue.size(), submitted.get(), rejected.get(), promptTokens, generatedTokens,
                steps, busyNanos, rate.perSecond(System.nanoTime()));
    }

    private void runLoop() {
        try {
            while (!closed) {
                admit();
                if (active == 0) {
                    synchronized (signal) {
                        if (queue.isEmpty() && !closed) {
                            signal.wait(100);
                        }
                    }
                    continue;
                }
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            drain();
        }
    }

    /** Moves queued requests into free slots, each into the slot sharing the longest prefix with it. */
    private void admit() {
        while (active < slots.length && !queue.isEmpty()) {
            ScheduledSequence s = queue.poll();
            if (s == null) {
                return;
            }
            if (s.ticket.isCancelled()) {
                finish(s, s.result(null));
                continue;
            }
            int best = chooseSlot(s.request.prompt());
            try {
                s.start(slots[best], tokenizer, decoder.config().vocabSize());
            } catch (RuntimeException e) {
                fail(s, e);
                continue;
            }
            running[best] = s;
            active++;
        }
    }

    /**
     * The free slot for {@code prompt}: the one whose cache shares the longest prefix with it, among
     * those where that prefix is at least half of what the slot holds (an empty slot always qualifies),
     * so a new conversation does not wipe another's cache while an unused slot is free; else the slot
     * used least recently.
     */
    private int chooseSlot(int[] prompt) {
        int best = -1;
        int bestShared = -1;
        int oldest = -1;
        for (int i = 0; i < slots.length; i++) {
            if (running[i] != null) {
                continue;
            }
            if (oldest < 0 || lastUsed[i] < lastUsed[oldest]) {
                oldest = i;
            }
            int shared = slots[i].sharedPrefix(prompt);
            boolean keepsMost = 2 * shared >= slots[i].length();
            if (keepsMost && (shared > bestShared || shared == bestShared && lastUsed[i] < lastUsed[best])) {
                best = i;
                bestShared = shared;
            }
        }
        int chosen = best >= 0 ? best : oldest;
        lastUsed[chosen] = ++admissions;
        return chosen;
    }

    /** One batched forward pass over every running sequence, then sampling. */
    private void step() {
        long start = System.nanoTime();
        batch.clear();
        int rows = 0;
        int budget = options.prefillChunk();
        long prompt = 0;
        int decoding = 0;
        for (int i = 0; i < running.length; i++) {
            ScheduledSequence s = running[i];
            if (s == null) {
                continue;
            }
            if (s.ticket.isCancelled()) {
                finish(i, s.result(null));
                continue;
            }
            stepTokens[i] = 0;
            if (s.hasPendingToken()) {
                s.addPendingToken(batch, scratch);
                decoding++;
                stepTokens[i] = -1;
            } else if (s.remainingPrompt() > 0 && budget > 0) {
                int before = s.remainingPrompt();
                boolean done = s.addPrompt(batch, budget);
                int added = before - s.remainingPrompt();
                budget -= added;
                prompt += added;
                stepTokens[i] = added;
                if (!done) {
                    continue;
                }
            } else {
                continue;
            }
            wanting[rows] = s.generator();
            wantingSequence[rows++] = s;
        }
        if (batch.segments() == 0) {
            return;
        }
        try {
            Generator.forward(decoder, batch, wanting, rows, logits);
        } catch (RuntimeException e) {
            for (int i = 0; i < running.length; i++) {
                if (running[i] != null) {
                    running[i].generator().reset();
                    fail(running[i], e);
                    running[i] = null;
                    active--;
                }
            }
            return;
        }
        long forwardNanos = System.nanoTime() - start;
        for (int i = 0; i < running.length; i++) {
            // each sequence in the step waited for all of it: per-request rates are what its client saw
            if (running[i] != null && stepTokens[i] > 0) {
                running[i].generator().addTimings(stepTokens[i], forwardNanos, 0, 0);
            } else if (running[i] != null && stepTokens[i] < 0) {
                running[i].generator().addTimings(0, 0, 1, forwardNanos);
            }
        }
        for (int r = 0; r < rows; r++) {
            ScheduledSequence s = wantingSequence[r];
            int slot = slotOf(s);
            SequenceResult done;
            try {
                done = s.advance();
            } catch (RuntimeException e) {
                fail(s, e);
                running[slot] = null;
                active--;
                continue;
            }
            if (done != null) {
                finish(slot, done);
            }
        }
        long generated = decoding;
        promptTokens += prompt;
        generatedTokens += generated;
        steps++;
        long end = System.nanoTime();
        busyNanos += end - start;
        rate.add(end, generated);
    }

    private int slotOf(ScheduledSequence s) {
        for (int i = 0; i < running.length; i++) {
            if (running[i] == s) {
                return i;
            }
        }
        throw new IllegalStateException("sequence is not running");
    }

    private void finish(int slot, SequenceResult result) {
        ScheduledSequence s = running[slot];
        running[slot] = null;
        active--;
        finish(s, result);
    }

    private void finish(ScheduledSequence s, SequenceResult result) {
        try {
            s.listener.finished(result);
        } catch (RuntimeException ignored) {
            // the listener's own failure must not stop the scheduler; the ticket still completes
        }
        s.ticket.complete(result);
    }

    private void fail(ScheduledSequence s, RuntimeException e) {
        try {
            s.listener.failed(e);
        } catch (RuntimeException ignored) {
            // as in finish
        }
        s.ticket.fail(e);
    }

    /** Ends every queued and running sequence as cancelled (on close). */
    private void drain() {
        for (int i = 0; i < running.length; i++) {
            if (running[i] != null) {
                finish(i, running[i].result(null));
            }
        }
        ScheduledSequence s;
        while ((s = queue.poll()) != null) {
            finish(s, s.result(null));
        }
    }

    /** Stops the thread (running and queued sequences end as cancelled) and frees the caches. */
    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Generator g : slots) {
            g.close();
        }
    }
}
