package dev.jllm.eval.scoring;

import dev.jllm.core.tensor.DType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.decoder.DecoderBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores continuations by log-likelihood as lm-evaluation-harness's {@code loglikelihood} requests do.
 *
 * <p>Text is tokenized as the harness tokenizes it ({@link #encode}). The model reads
 * {@code (context + continuation)} without its last token, left-truncated to {@link #maxLength()} tokens, and
 * each continuation token is scored from the logits of the position before it.
 *
 * <p>The choices of one question share the context: it is run once into a KV cache, and each choice then runs
 * only its own tokens on top, at the positions after the context. The cache is positional and attention at a
 * position reads only the positions before it, so what an earlier choice left after the context is simply
 * overwritten. Several questions run their contexts in one batched forward pass ({@link #scoreQuestions}).
 * A scorer built with {@code shareContext} false skips all of that and scores every request with a full forward
 * pass over its own {@code context + continuation}, as a harness without cache reuse does: the same scores, for
 * measuring what the sharing saves.
 *
 * <p>An instance keeps caches and buffers: it serves one thread at a time, and closing it frees the caches.
 */
public final class LogLikelihood implements AutoCloseable {
    /** Tokens per forward pass when none is given. */
    public static final int DEFAULT_CHUNK = 512;

    private final Decoder decoder;
    private final Tokenizer tokenizer;
    private final DType cacheType;
    private final int maxLength;
    private final boolean addBos;
    private final int vocab;
    private final int chunk;
    private final boolean shareContext;
    private final DecoderBatch batch = new DecoderBatch();
    private final List<KvCache> caches = new ArrayList<>();
    // requests scored on their own use a cache of their own, so they never clobber a question's shared context
    private KvCache scratch;
    private float[] logits = new float[0];
    // the choices of a question share their context: its encoding is kept for the next request
    private String lastContext;
    private int[] lastContextIds;

    /**
     * A scorer.
     *
     * @param tokenizer the model's tokenizer; may be null when only token ids are scored
     * @param cacheType the KV cache element type ({@link KvCache#TYPES})
     * @param maxLength the most tokens the model reads at once, at most the model's context length
     * @param addBos whether text is encoded with the tokenizer's BOS, as the harness's {@code add_bos_token=True}
     */
    public LogLikelihood(Decoder decoder, Tokenizer tokenizer, DType cacheType, int maxLength, boolean addBos) {
        this(decoder, tokenizer, cacheType, maxLength, addBos, DEFAULT_CHUNK);
    }

    /**
     * As {@link #LogLikelihood(Decoder, Tokenizer, DType, int, boolean)}, running at most {@code chunk} tokens of a
     * sequence per forward pass.
     */
    public LogLikelihood(Decoder decoder, Tokenizer tokenizer, DType cacheType, int maxLength, boolean addBos,
            int chunk) {
        this(decoder, tokenizer, cacheType, maxLength, addBos, chunk, true);
    }

    /**
     * As {@link #LogLikelihood(Decoder, Tokenizer, DType, int, boolean, int)}; with {@code shareContext} false the
     * choices of a question do not share their context's KV cache, and every request runs as one full forward pass
     * of its own ({@link #score}).
     */
    public LogLikelihood(Decoder decoder, Tokenizer tokenizer, DType cacheType, int maxLength, boolean addBos,
            int chunk, boolean shareContext) {
        if (chunk < 1) {
            throw new IllegalArgumentException("the prefill chunk must be positive, got " + chunk);
        }
        if (maxLength < 2 || maxLength > decoder.config().contextLength()) {
            throw new IllegalArgumentException("the scoring length must be in 2.." + decoder.config().contextLength()
                    + " (the model's context length), got " + maxLength);
        }
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.cacheType = cacheType;
        this.maxLength = maxLength;
        this.addBos = addBos;
        this.vocab = decoder.config().vocabSize();
        this.chunk = chunk;
        this.shareContext = shareContext;
    }

    /** Whether the choices of a question share their context's KV cache. */
    public boolean sharesContext() {
        return shareContext;
    }

    /** The most tokens the model reads at once. */
    public int maxLength() {
        return maxLength;
    }

    /** The tokenizer, or null. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The token a text without context is scored after (an empty context, the first rolling window): BOS when the
     * tokenizer has one, else its first EOS, as the harness's {@code prefix_token_id}; a vocabulary that declares
     * neither but has {@code <|endoftext|>} or {@code </s>} uses that.
     *
     * @throws IllegalStateException if the tokenizer has neither
     */
    public int prefixToken() {
        Tokenizer t = requireTokenizer();
        if (t.bosId() >= 0) {
            return t.bosId();
        }
        if (t.eosIds().length > 0) {
            return t.eosIds()[0];
        }
        for (String name : new String[] {"<|endoftext|>", "</s>"}) {
            if (t.id(name) >= 0) {
                return t.id(name);
            }
        }
        throw new IllegalStateException("the tokenizer has no BOS, EOS or <|endoftext|> token to start a text without context");
    }

    /** Encodes text as the harness's {@code tok_encode}: no special tokens unless BOS was asked for. */
    public int[] encodeText(String text) {
        return requireTokenizer().encode(text, addBos, false);
    }

    /**
     * Tokenizes a request as the harness's {@code _encode_pair}: whitespace at the end of the context moves to
     * the front of the continuation; the continuation's ids are those of {@code context + continuation} after the
     * context's own ids; an empty context becomes the {@link #prefixToken()}.
     *
     * @throws IllegalArgumentException if the continuation yields no tokens
     */
    public TokenPair encode(String context, String continuation) {
        if (context.isEmpty()) {
            int[] cont = requireTokenizer().encode(continuation, false, false);
            return new TokenPair(new int[] {prefixToken()}, cont);
        }
        int end = context.length();
        while (end > 0 && isSpace(context.charAt(end - 1))) {
            end--;
        }
        String ctx = context.substring(0, end);
        String cont = context.substring(end) + continuation;
        int[] whole = encodeText(ctx + cont);
        if (!ctx.equals(lastContext)) {
            lastContextIds = ctx.isEmpty() ? new int[0] : encodeText(ctx);
            lastContext = ctx;
        }
        int[] ctxIds = lastContextIds;
        int[] contIds = Arrays.copyOfRange(whole, Math.min(ctxIds.length, whole.length), whole.length);
        if (contIds.length == 0) {
            throw new IllegalArgumentException("the continuation \"" + continuation + "\" adds no tokens to its context");
        }
        if (ctxIds.length == 0) {
            ctxIds = new int[] {prefixToken()};
        }
        return new TokenPair(ctxIds, contIds);
    }

    // Python's str.rstrip() strips what str.isspace() accepts: Java's whitespace plus no-break spaces
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Scores the continuations of one text context (the choices of one question). */
    public List<ContinuationScore> scoreChoices(String context, List<String> continuations) {
        List<TokenPair> pairs = new ArrayList<>();
        for (String c : continuations) {
            pairs.add(encode(context, c));
        }
        return scoreQuestions(List.of(pairs)).getFirst();
    }

    /**
     * Scores the requests of several questions. Within a question the requests that share the first one's context
     * and fit {@link #maxLength()} share its KV cache; the questions' contexts run as one batch. Without
     * {@link #sharesContext()} each request is scored on its own, in order.
     *
     * @return per question, the scores in request order
     */
    public List<List<ContinuationScore>> scoreQuestions(List<List<TokenPair>> questions) {
        List<List<ContinuationScore>> out = new ArrayList<>();
        if (!shareContext) {
            for (List<TokenPair> q : questions) {
                List<ContinuationScore> scores = new ArrayList<>();
                for (TokenPair p : q) {
                    scores.add(score(p));
                }
                out.add(scores);
            }
            return out;
        }
        List<int[]> shared = new ArrayList<>();
        for (List<TokenPair> q : questions) {
            int[] ctx = q.isEmpty() ? null : q.getFirst().context();
            boolean any = false;
            for (TokenPair p : q) {
                any |= sharesContext(p, ctx);
            }
            shared.add(any ? ctx : null);
            out.add(new ArrayList<>());
        }
        float[][] lastLogits = prefill(shared);
        for (int i = 0; i < questions.size(); i++) {
            int[] ctx = shared.get(i);
            for (TokenPair p : questions.get(i)) {
                out.get(i).add(ctx != null && sharesContext(p, ctx)
                        ? scoreOnCache(caches.get(i), ctx.length, lastLogits[i], p.continuation())
                        : score(p));
            }
        }
        return out;
    }

    private boolean sharesContext(TokenPair p, int[] ctx) {
        return Arrays.equals(p.context(), ctx) && p.context().length + p.continuation().length - 1 <= maxLength;
    }

    /** Runs each non-null context into the cache of its index, in batches of chunks; returns each one's last logits. */
    private float[][] prefill(List<int[]> contexts) {
        int n = contexts.size();
        while (caches.size() < n) {
            caches.add(decoder.newCache(cacheType, maxLength));
        }
        float[][] last = new float[n][];
        int[] done = new int[n];
        ensureLogits((long) n * vocab);
        while (true) {
            batch.clear();
            List<Integer> wanting = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] ctx = contexts.get(i);
                if (ctx == null || done[i] == ctx.length) {
                    continue;
                }
                int count = Math.min(chunk, ctx.length - done[i]);
                boolean finished = done[i] + count == ctx.length;
                batch.add(caches.get(i), ctx, done[i], count, done[i], finished);
                done[i] += count;
                if (finished) {
                    wanting.add(i);
                }
            }
            if (batch.segments() == 0) {
                return last;
            }
            decoder.forward(batch, logits);
            for (int r = 0; r < wanting.size(); r++) {
                last[wanting.get(r)] = Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            }
        }
    }

    /** Scores a continuation on a cache that holds the context's {@code at} positions, with the context's last logits. */
    private ContinuationScore scoreOnCache(KvCache cache, int at, float[] contextLogits, int[] cont) {
        double sum = logProbability(contextLogits, 0, cont[0]);
        boolean greedy = argmax(contextLogits, 0) == cont[0];
        if (cont.length > 1) {
            ensureLogits((long) (cont.length - 1) * vocab);
            decoder.forward(cont, 0, cont.length - 1, at, cache, logits, true);
            for (int t = 1; t < cont.length; t++) {
                int row = (t - 1) * vocab;
                sum += logProbability(logits, row, cont[t]);
                greedy &= argmax(logits, row) == cont[t];
            }
        }
        return new ContinuationScore(sum, greedy, cont.length);
    }

    /**
     * Scores one request on its own: the model reads {@code (context + continuation)[-(maxLength+1):][:-1]} from
     * position 0, as the harness does.
     */
    public ContinuationScore score(TokenPair p) {
        int[] ctx = p.context();
        int[] cont = p.continuation();
        int total = ctx.length + cont.length;
        int[] all = new int[total];
        System.arraycopy(ctx, 0, all, 0, ctx.length);
        System.arraycopy(cont, 0, all, ctx.length, cont.length);
        int from = Math.max(0, total - (maxLength + 1));
        int inputEnd = total - 1;
        int length = inputEnd - from;
        if (cont.length > length) {
            throw new IllegalArgumentException("a continuation of " + cont.length + " tokens does not fit the scoring "
                    + "length of " + maxLength);
        }
        if (scratch == null) {
            scratch = decoder.newCache(cacheType, maxLength);
        }
        KvCache cache = scratch;
        // input position q's logits score token all[from + q + 1]; continuation tokens start at input position firstScored
        int firstScored = length - cont.length;
        double sum = 0;
        boolean greedy = true;
        for (int start = 0; start < length; start += chunk) {
            int count = Math.min(chunk, length - start);
            boolean needed = start + count > firstScored;
            // when only the chunk's last position is scored (one-token continuations), its logits alone are computed
            boolean lastOnly = firstScored == start + count - 1;
            ensureLogits((long) count * vocab);
            decoder.forward(all, from + start, count, start, cache, logits, needed && !lastOnly);
            if (!needed) {
                continue;
            }
            for (int q = Math.max(start, firstScored); q < start + count; q++) {
                int row = lastOnly ? 0 : (q - start) * vocab;
                int token = all[from + q + 1];
                sum += logProbability(logits, row, token);
                greedy &= argmax(logits, row) == token;
            }
        }
        return new ContinuationScore(sum, greedy, cont.length);
    }

    private void ensureLogits(long size) {
        if (logits.length < size) {
            logits = new float[Math.toIntExact(size)];
        }
    }

    /** {@code log softmax(values[offset .. offset+vocab))[token]}, summed in double. */
    private double logProbability(float[] values, int offset, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, values[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(values[offset + i] - max);
        }
        return values[offset + token] - max - Math.log(sum);
    }

    private int argmax(float[] values, int offset) {
        int best = 0;
        float max = values[offset];
        for (int i = 1; i < vocab; i++) {
            if (values[offset + i] > max) {
                max = values[offset + i];
                best = i;
            }
        }
        return best;
    }

    private Tokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("the model has no tokenizer, so text cannot be scored");
        }
        return tokenizer;
    }

    /** Frees the KV caches; the scorer is not used afterwards. */
    @Override
    public void close() {
        caches.forEach(KvCache::close);
        caches.clear();
        if (scratch != null) {
            scratch.close();
            scratch = null;
        }
    }
}
