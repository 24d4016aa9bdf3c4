package dev.jllm.formats.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What every model shares: the vocabulary, added/special tokens matched before the model runs,
 * BOS/EOS, and decoding by concatenating piece bytes. Subclasses encode plain text and give piece bytes.
 */
public abstract class AbstractTokenizer implements Tokenizer {
    protected final String[] tokens;
    protected final TokenType[] types;
    protected final Map<String, Integer> idsByToken;
    private final boolean[] added;
    private final boolean[] special;
    private final AddedTokenMatcher matcher = new AddedTokenMatcher();
    private final AddedTokenMatcher plainMatcher = new AddedTokenMatcher();
    private SpecialTokens specials = SpecialTokens.none();
    private boolean cleanUpSpaces;
    private UnaryOperator<String> normalizer = UnaryOperator.identity();

    /**
     * @param tokens token strings by id (added tokens included; null entries are holes)
     * @param types token kinds by id, or null for all normal
     */
    protected AbstractTokenizer(String[] tokens, TokenType[] types) {
        this.tokens = tokens;
        this.types = types != null ? types : filled(tokens.length);
        this.idsByToken = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] != null) {
                idsByToken.putIfAbsent(tokens[i], i);
            }
        }
        this.added = new boolean[tokens.length];
        this.special = new boolean[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            special[i] = this.types[i] == TokenType.CONTROL;
        }
    }

    private static TokenType[] filled(int n) {
        TokenType[] t = new TokenType[n];
        Arrays.fill(t, TokenType.NORMAL);
        return t;
    }

    /**
     * Declares an added token: matched as a whole in text before the model runs and decoded as its text.
     *
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    public void addToken(int id, String content, boolean isSpecial) {
        addToken(id, content, isSpecial, false, false);
    }

    /**
     * Declares an added token that also swallows whitespace on its left ({@code lstrip}) or right
     * ({@code rstrip}) when matched.
     *
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    public void addToken(int id, String content, boolean isSpecial, boolean lstrip, boolean rstrip) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("added token id " + id + " outside vocabulary of " + tokens.length);
        }
        added[id] = true;
        special[id] = special[id] || isSpecial;
        if (tokens[id] == null) {
            tokens[id] = content;
            idsByToken.putIfAbsent(content, id);
        }
        matcher.add(content, id, lstrip, rstrip);
        if (!special[id]) {
            plainMatcher.add(content, id, lstrip, rstrip);
        }
    }

    /**
     * Sets a normalisation applied to each plain stretch of text before the model sees it (e.g.
     * NFC for Qwen2's tokenizer.json); the model's own normalisation (SentencePiece's, BERT's) still follows.
     */
    public void setNormalizer(UnaryOperator<String> normalizer) {
        this.normalizer = normalizer == null ? UnaryOperator.identity() : normalizer;
    }

    /** Sets the special ids and the BOS/EOS flags. */
    public void setSpecialTokens(SpecialTokens specials) {
        this.specials = specials;
    }

    /** The special ids and flags. */
    public SpecialTokens specialTokens() {
        return specials;
    }

    /** Whether the id was declared with {@link #addToken}. */
    protected boolean isAdded(int id) {
        return id >= 0 && id < added.length && added[id];
    }

    /**
     * Encodes a stretch of text that holds no added token.
     *
     * @param atTextStart whether the stretch begins the whole text (not after an added token)
     */
    protected abstract void encodeText(String text, boolean atTextStart, IdBuffer out);

    /** Bytes of a model (not added) token. */
    protected abstract byte[] modelPieceBytes(int id, boolean atStart);

    /** Sets whether decode removes the space before punctuation and contractions (HF's clean_up_tokenization_spaces). */
    public void setCleanUpSpaces(boolean cleanUp) {
        this.cleanUpSpaces = cleanUp;
    }

    /** Last touch on decoded text: HF's clean-up of spaces when enabled. */
    protected String finishDecoded(String text) {
        if (!cleanUpSpaces) {
            return text;
        }
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IdBuffer out = new IdBuffer();
        if (addSpecial && specials.addBos() && specials.bos() >= 0) {
            out.add(specials.bos());
        }
        List<AddedTokenMatcher.Segment> segments = new ArrayList<>();
        (parseSpecial ? matcher : plainMatcher).split(text, segments);
        boolean atStart = true;
        for (AddedTokenMatcher.Segment s : segments) {
            if (s.isToken()) {
                out.add(s.id());
            } else {
                encodeText(normalizer.apply(s.text()), atStart, out);
            }
            atStart = false;
        }
        if (addSpecial && specials.addEos() && specials.eos().length > 0) {
            out.add(specials.eos()[0]);
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecial) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean atStart = true;
        for (int id : ids) {
            if (skipSpecial && isSpecial(id)) {
                continue;
            }
            byte[] b = pieceBytes(id, atStart);
            if (b.length > 0) {
                atStart = false;
            }
            buf.writeBytes(b);
        }
        return finishDecoded(buf.toString(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] pieceBytes(int id, boolean atStart) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + tokens.length);
        }
        if (added[id]) {
            return tokens[id].getBytes(StandardCharsets.UTF_8);
        }
        return modelPieceBytes(id, atStart);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String token(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + tokens.length);
        }
        return tokens[id];
    }

    @Override
    public int id(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public int bosId() {
        return specials.bos();
    }

    @Override
    public int[] eosIds() {
        return specials.eos().clone();
    }

    @Override
    public int padId() {
        return specials.pad();
    }

    @Override
    public int unkId() {
        return specials.unk();
    }
}
