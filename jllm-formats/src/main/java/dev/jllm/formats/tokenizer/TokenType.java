package dev.jllm.formats.tokenizer;

/** Kinds of vocabulary entries, numbered as SentencePiece and GGUF's {@code tokenizer.ggml.token_type} number them. */
public enum TokenType {
    /** An ordinary piece. */
    NORMAL,
    /** The unknown token. */
    UNKNOWN,
    /** A control token such as BOS/EOS: never produced from text by the model itself. */
    CONTROL,
    /** A user-defined token, matched in text as a whole before the model runs. */
    USER_DEFINED,
    /** A piece the model never produces. */
    UNUSED,
    /** A byte-fallback piece {@code <0xAB>}. */
    BYTE;

    /** SentencePiece's and GGUF's number for this type (1 normal … 6 byte). */
    public int code() {
        return ordinal() + 1;
    }

    /** The type for SentencePiece/GGUF's number (1 normal … 6 byte); unknown numbers are normal. */
    public static TokenType of(int code) {
        return switch (code) {
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> NORMAL;
        };
    }
}
