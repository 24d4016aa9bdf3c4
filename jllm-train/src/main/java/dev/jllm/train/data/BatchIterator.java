package dev.jllm.train.data;

/**
 * Training batches from a token shard. The shard is one stream of documents packed end to end
 * (separated by the end-of-text id), cut into {@code W = (N-1)/T} windows: window {@code k} is the
 * {@code T+1} tokens from {@code k·T}, giving inputs {@code [k·T, k·T+T)} and targets shifted by one.
 * An epoch visits every window once, in a fresh seeded order per epoch when shuffling (in file order
 * otherwise), so every token before {@code W·T} is an input exactly once per epoch (the at most
 * {@code T} tokens after it are left out). A batch takes the next {@code B} windows, running into the
 * next epoch when one ends. {@link #state()} and {@link #restore} give exact resume: the same shard,
 * seed and position produce the same batches after a restart.
 */
public final class BatchIterator {
    /**
     * A position in the stream of batches, to save in a checkpoint.
     *
     * @param seed the shuffle seed
     * @param seq tokens per input row (T)
     * @param windows windows per epoch, a check that the data did not change
     * @param epoch completed epochs
     * @param next the next window of the current epoch's order
     */
    public record State(long seed, int seq, long windows, long epoch, long next) {
        /** The state as five longs (for a checkpoint tensor). */
        public long[] toLongs() {
            return new long[] {seed, seq, windows, epoch, next};
        }

        /** The inverse of {@link #toLongs()}. */
        public static State fromLongs(long[] v) {
            if (v.length != 5) {
                throw new IllegalArgumentException("a batch position has 5 numbers, found " + v.length);
            }
            return new State(v[0], (int) v[1], v[2], v[3], v[4]);
        }
    }

    private final TokenShard shard;
    private final int batch;
    private final int seq;
    private final long seed;
    private final boolean shuffle;
    private final int windows;
    private final int[] row;
    private int[] order;
    private long epoch;
    private int next;

    /**
     * @param shard the tokens
     * @param batch rows per batch (B)
     * @param seq tokens per input row (T)
     * @param seed the shuffle seed
     * @param shuffle whether each epoch visits the windows in a seeded random order (else in file order)
     * @throws IllegalArgumentException naming the file when it holds fewer than {@code B} windows
     */
    public BatchIterator(TokenShard shard, int batch, int seq, long seed, boolean shuffle) {
        if (batch < 1 || seq < 1) {
            throw new IllegalArgumentException("batch " + batch + " and sequence length " + seq + " must be positive");
        }
        long w = shard.size() < 1 ? 0 : (shard.size() - 1) / seq;
        if (w < batch) {
            throw new IllegalArgumentException(shard.file() + ": " + shard.size() + " tokens are too few for one batch of "
                    + batch + " × (" + seq + "+1) tokens (" + ((long) batch * seq + 1)
                    + " needed); give more text or lower the batch size or sequence length");
        }
        if (w > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(shard.file() + ": " + w + " windows of " + seq
                    + " tokens are more than one shard supports; use a longer sequence");
        }
        this.shard = shard;
        this.batch = batch;
        this.seq = seq;
        this.seed = seed;
        this.shuffle = shuffle;
        this.windows = (int) w;
        this.row = new int[seq + 1];
        this.order = orderOf(0);
    }

    private int[] orderOf(long e) {
        if (!shuffle) {
            return null;
        }
        // one independent stream per epoch: the order of epoch e needs only (seed, e), not the epochs before
        return SplitMix.permutation(windows, new SplitMix(seed ^ (e * 0xD1B54A32D192ED03L)).nextLong());
    }

    /**
     * Fills the next batch: {@code inputs} and {@code targets} are row-major {@code B × T}, the targets
     * being the inputs shifted by one token.
     */
    public void next(int[] inputs, int[] targets) {
        int n = batch * seq;
        if (inputs.length < n || targets.length < n) {
            throw new IllegalArgumentException("inputs and targets need " + n + " ids each");
        }
        for (int b = 0; b < batch; b++) {
            int window = shuffle ? order[next] : next;
            shard.read((long) window * seq, row, 0, seq + 1);
            System.arraycopy(row, 0, inputs, b * seq, seq);
            System.arraycopy(row, 1, targets, b * seq, seq);
            if (++next == windows) {
                next = 0;
                epoch++;
                order = orderOf(epoch);
            }
        }
    }

    /** The current position. */
    public State state() {
        return new State(seed, seq, windows, epoch, next);
    }

    /**
     * Continues from a saved position.
     *
     * @throws IllegalArgumentException when the position was saved with another seed, sequence length or data
     */
    public void restore(State state) {
        if (state.seed() != seed || state.seq() != seq || state.windows() != windows) {
            throw new IllegalArgumentException("the saved batch position (seed " + state.seed() + ", sequence "
                    + state.seq() + ", " + state.windows() + " windows) does not match this data (seed " + seed
                    + ", sequence " + seq + ", " + windows + " windows of " + shard.file() + ")");
        }
        if (state.epoch() < 0 || state.next() < 0 || state.next() >= windows) {
            throw new IllegalArgumentException("the saved batch position (epoch " + state.epoch() + ", window "
                    + state.next() + ") is outside the " + windows + " windows");
        }
        this.epoch = state.epoch();
        this.next = (int) state.next();
        this.order = orderOf(epoch);
    }

    /** Windows per epoch ({@code (N-1)/T}). */
    public int windowsPerEpoch() {
        return windows;
    }

    /** Completed epochs (fractional progress is {@code epoch() + state().next() / windowsPerEpoch()}). */
    public long epoch() {
        return epoch;
    }

    /** Rows per batch. */
    public int batchSize() {
        return batch;
    }

    /** Tokens per input row. */
    public int sequenceLength() {
        return seq;
    }
}
