package dev.jllm.eval.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scorer against a plain computation: for each request a fresh cache, one forward pass over
 * {@code (context + continuation)[-(L+1):][:-1]} from position 0 with every position's logits, and a log-softmax
 * written here in double. The model is the bundled trained model with F32 weights and its real BPE tokenizer.
 */
class LogLikelihoodTest {
    @TempDir
    static Path dir;

    static LoadedModel model;
    static WorkerPool pool;
    static Decoder decoder;
    static Tokenizer tokenizer;

    @BeforeAll
    static void open() throws Exception {
        model = LoadedModel.open(EvalModels.bundledF32(dir));
        pool = new WorkerPool(2);
        decoder = new Decoder(model.config(), model.weights(), pool);
        tokenizer = model.tokenizer().orElseThrow();
    }

    @AfterAll
    static void close() {
        pool.close();
        model.close();
    }

    /** The reference: a full forward over the truncated input and a double log-softmax per scored position. */
    static ContinuationScore plain(TokenPair p, int maxLength) {
        int[] all = new int[p.context().length + p.continuation().length];
        System.arraycopy(p.context(), 0, all, 0, p.context().length);
        System.arraycopy(p.continuation(), 0, all, p.context().length, p.continuation().length);
        int from = Math.max(0, all.length - (maxLength + 1));
        int[] input = Arrays.copyOfRange(all, from, all.length - 1);
        int vocab = decoder.config().vocabSize();
        float[] logits = new float[input.length * vocab];
        try (KvCache cache = decoder.newCache(DType.F32, input.length)) {
            decoder.forward(input, 0, input.length, 0, cache, logits, true);
        }
        double sum = 0;
        boolean greedy = true;
        int m = p.continuation().length;
        for (int t = 0; t < m; t++) {
            int row = (input.length - m + t) * vocab;
            int token = p.continuation()[t];
            double max = Double.NEGATIVE_INFINITY;
            int best = -1;
            for (int i = 0; i < vocab; i++) {
                if (logits[row + i] > max) {
                    max = logits[row + i];
                    best = i;
                }
            }
            double z = 0;
            for (int i = 0; i < vocab; i++) {
                z += Math.exp(logits[row + i] - max);
            }
            sum += logits[row + token] - max - Math.log(z);
            greedy &= best == token;
        }
        return new ContinuationScore(sum, greedy, m);
    }

    /** The argmax of the logits after {@code ids}. */
    static int greedyNext(int[] ids) {
        int vocab = decoder.config().vocabSize();
        float[] logits = new float[vocab];
        try (KvCache cache = decoder.newCache(DType.F32, ids.length)) {
            decoder.forward(ids, 0, ids.length, 0, cache, logits);
        }
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static final String CONTEXT = "And God said, Let there be light: and there was light.\nAnd God saw the light,";
    static final List<String> CHOICES = List.of(" that it was good", " A", " and the LORD spake unto Moses, saying",
            " light");

    @Test
    void sharedCacheChoicesEqualPlainForwardPasses() {
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false);
        // one choice is the model's own next token, so the greedy flag is exercised both ways
        List<String> choices = new ArrayList<>(CHOICES);
        choices.add(tokenizer.decode(new int[] {greedyNext(tokenizer.encode(CONTEXT, false, false))}));
        List<ContinuationScore> got = scorer.scoreChoices(CONTEXT, choices);
        for (int i = 0; i < choices.size(); i++) {
            ContinuationScore want = plain(scorer.encode(CONTEXT, choices.get(i)), 2048);
            assertEquals(want.logLikelihood(), got.get(i).logLikelihood(), 1e-4, choices.get(i));
            assertEquals(want.greedy(), got.get(i).greedy(), choices.get(i));
            assertEquals(want.tokens(), got.get(i).tokens());
        }
        assertTrue(got.getLast().greedy(), "the greedy next token " + choices.getLast());
        assertTrue(!got.get(2).greedy());
    }

    @Test
    void batchedQuestionsEqualOneAtATime() {
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false);
        List<String> contexts = List.of(CONTEXT, "In the beginning", "Jesus wept.\n\nQuestion: who wept?\nAnswer:");
        List<List<TokenPair>> questions = new ArrayList<>();
        for (String c : contexts) {
            List<TokenPair> q = new ArrayList<>();
            for (String choice : CHOICES) {
                q.add(scorer.encode(c, choice));
            }
            questions.add(q);
        }
        List<List<ContinuationScore>> got = scorer.scoreQuestions(questions);
        for (int i = 0; i < contexts.size(); i++) {
            for (int j = 0; j < CHOICES.size(); j++) {
                ContinuationScore want = plain(questions.get(i).get(j), 2048);
                assertEquals(want.logLikelihood(), got.get(i).get(j).logLikelihood(), 1e-4, contexts.get(i) + CHOICES.get(j));
                assertEquals(want.greedy(), got.get(i).get(j).greedy());
            }
        }
    }

    @Test
    void scoringWithoutContextSharingEqualsTheSharedPath() {
        LogLikelihood shared = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false);
        // 7-token chunks: full forwards of each request cross chunk boundaries
        LogLikelihood unshared = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false, 7, false);
        assertTrue(shared.sharesContext());
        assertTrue(!unshared.sharesContext());
        List<String> contexts = List.of(CONTEXT, "Jesus wept.\n\nQuestion: who wept?\nAnswer:");
        List<List<TokenPair>> questions = new ArrayList<>();
        for (String c : contexts) {
            List<TokenPair> q = new ArrayList<>();
            for (String choice : CHOICES) {
                q.add(shared.encode(c, choice));
            }
            questions.add(q);
        }
        // " A" is one token, so the naive path's last-position-only logits are exercised too
        assertEquals(1, questions.getFirst().get(1).continuation().length);
        List<List<ContinuationScore>> want = shared.scoreQuestions(questions);
        List<List<ContinuationScore>> got = unshared.scoreQuestions(questions);
        for (int i = 0; i < questions.size(); i++) {
            for (int j = 0; j < CHOICES.size(); j++) {
                assertEquals(want.get(i).get(j).logLikelihood(), got.get(i).get(j).logLikelihood(), 1e-4,
                        contexts.get(i) + CHOICES.get(j));
                assertEquals(want.get(i).get(j).greedy(), got.get(i).get(j).greedy());
                assertEquals(want.get(i).get(j).tokens(), got.get(i).get(j).tokens());
                assertEquals(plain(questions.get(i).get(j), 2048).logLikelihood(), got.get(i).get(j).logLikelihood(),
                        1e-4);
            }
        }
        unshared.close();
        shared.close();
    }

    @Test
    void longRequestsAreLeftTruncatedAsTheHarnessDoes() {
        int maxLength = 12;
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, maxLength, false);
        List<ContinuationScore> got = scorer.scoreChoices(CONTEXT, CHOICES);
        for (int i = 0; i < CHOICES.size(); i++) {
            TokenPair p = scorer.encode(CONTEXT, CHOICES.get(i));
            assertTrue(p.context().length + p.continuation().length > maxLength + 1);
            assertEquals(plain(p, maxLength).logLikelihood(), got.get(i).logLikelihood(), 1e-4, CHOICES.get(i));
        }
    }

    @Test
    void aTooLongOptionDoesNotDisturbTheOthersSharedContext() {
        int maxLength = 12;
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, maxLength, false);
        String context = "And God said, Let there be";
        // the first option does not fit next to the context and is scored on its own, before the shared ones
        List<String> choices = List.of(" light: and there was light, and it was good and", " light", " a", " firmament");
        TokenPair first = scorer.encode(context, choices.getFirst());
        assertTrue(first.context().length + first.continuation().length - 1 > maxLength);
        List<ContinuationScore> got = scorer.scoreChoices(context, choices);
        for (int i = 0; i < choices.size(); i++) {
            TokenPair p = scorer.encode(context, choices.get(i));
            assertTrue(i == 0 || p.context().length + p.continuation().length - 1 <= maxLength);
            assertEquals(plain(p, maxLength).logLikelihood(), got.get(i).logLikelihood(), 1e-4, choices.get(i));
        }
    }

    @Test
    void chunkedPrefillGivesTheSameScores() {
        // 5-token chunks: contexts and unshared requests cross several chunk boundaries
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false, 5);
        List<List<TokenPair>> questions = new ArrayList<>();
        for (String c : List.of(CONTEXT, "Jesus wept.")) {
            List<TokenPair> q = new ArrayList<>();
            for (String choice : CHOICES) {
                q.add(scorer.encode(c, choice));
            }
            questions.add(q);
        }
        List<List<ContinuationScore>> got = scorer.scoreQuestions(questions);
        for (int i = 0; i < questions.size(); i++) {
            for (int j = 0; j < CHOICES.size(); j++) {
                TokenPair p = questions.get(i).get(j);
                double want = plain(p, 2048).logLikelihood();
                assertEquals(want, got.get(i).get(j).logLikelihood(), 1e-4);
                assertEquals(want, scorer.score(p).logLikelihood(), 1e-4);
            }
        }
    }

    @Test
    void encodingMovesTrailingSpacesAndSplitsTheWholeEncoding() {
        LogLikelihood scorer = new LogLikelihood(decoder, tokenizer, DType.F32, 2048, false);
        TokenPair moved = scorer.encode("Answer: ", "B");
        TokenPair plainPair = scorer.encode("Answer:", " B");
        assertArrayEquals(plainPair.context(), moved.context());
        assertArrayEquals(plainPair.continuation(), moved.continuation());
        int[] whole = tokenizer.encode("Answer: B", false, false);
        int[] ctx = tokenizer.encode("Answer:", false, false);
        assertArrayEquals(ctx, moved.context());
        assertArrayEquals(Arrays.copyOfRange(whole, ctx.length, whole.length), moved.continuation());
        TokenPair empty = scorer.encode("", "In the beginning");
        assertArrayEquals(new int[] {scorer.prefixToken()}, empty.context());
        assertArrayEquals(tokenizer.encode("In the beginning", false, false), empty.continuation());
        assertThrows(IllegalArgumentException.class, () -> scorer.encode("Answer:", ""));
        assertThrows(IllegalArgumentException.class, () -> new LogLikelihood(decoder, tokenizer, DType.F32, 1 << 20, false));
    }
}
