package dev.jllm.formats.tokenizer;

/**
 * Text to token ids and back, as the model's reference tokenizer (Hugging Face tokenizers,
 * llama.cpp, sentencepiece) does it.
 */
public interface Tokenizer {

    /**
     * Encodes text. Added and special tokens written in the text (e.g. {@code <|eot_id|>}) are
     * matched first and become their ids; the rest is normalised, split and encoded by the model.
     *
     * @param addSpecial whether to add BOS/EOS (or CLS/SEP) as the model's configuration says
     */
    default int[] encode(String text, boolean addSpecial) {
        return encode(text, addSpecial, true);
    }

    /**
     * Encodes text; with {@code parseSpecial} false, special tokens written in the text (e.g. a
     * user typing {@code <|eot_id|>}) are encoded as plain text, while non-special added tokens are still matched.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /** Decodes ids to text, special tokens included as their text (control tokens of SentencePiece excepted). */
    default String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Decodes ids to text; with {@code skipSpecial} the special tokens are left out. */
    String decode(int[] ids, boolean skipSpecial);

    /**
     * The bytes a token contributes to decoded text.
     *
     * @param atStart whether it is the first piece of the text (SentencePiece drops the dummy-prefix space there)
     */
    byte[] pieceBytes(int id, boolean atStart);

    /** A decoder that takes one id at a time and returns only complete UTF-8 characters. */
    default StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }

    /** Number of ids, added tokens included. */
    int vocabSize();

    /** The token string of an id as the vocabulary writes it (e.g. {@code Ġthe}, {@code ▁the}). */
    String token(int id);

    /** The id of a token string as the vocabulary writes it, or -1. */
    int id(String token);

    /** Whether the id is a special (control) token. */
    boolean isSpecial(int id);

    /** Begin-of-sequence id, or -1. */
    int bosId();

    /** End-of-sequence ids (the first is the main one); may be empty. */
    int[] eosIds();

    /** Padding id, or -1. */
    int padId();

    /** Unknown-token id, or -1. */
    int unkId();
}
