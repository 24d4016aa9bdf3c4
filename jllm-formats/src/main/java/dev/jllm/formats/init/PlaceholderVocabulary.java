package dev.jllm.formats.init;

import dev.jllm.formats.gguf.GgufValue;
import dev.jllm.formats.gguf.GgufValueType;
import dev.jllm.formats.tokenizer.TokenType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A stand-in tokenizer for a model made without {@code --vocab-from}: a SentencePiece-style
 * ({@code tokenizer.ggml.model = llama}) vocabulary of {@code <unk>}, {@code <s>}, {@code </s>}, the 256
 * byte tokens {@code <0x00>..<0xFF>}, the word boundary {@code ▁} and filler tokens {@code <tok_N>} up to
 * the requested size. Any text
 * encodes (byte fallback), so the model loads and runs; the tokens carry no meaning.
 */
public final class PlaceholderVocabulary {
    /** The smallest vocabulary that holds the specials and the byte tokens. */
    public static final int MIN_SIZE = 3 + 256;
    private static final int NORMAL = TokenType.NORMAL.code();
    private static final int UNKNOWN = TokenType.UNKNOWN.code();
    private static final int CONTROL = TokenType.CONTROL.code();
    private static final int BYTE = TokenType.BYTE.code();

    private PlaceholderVocabulary() {
    }

    /**
     * The {@code tokenizer.*} metadata of a placeholder vocabulary of {@code size} tokens.
     *
     * @throws IllegalArgumentException if {@code size} is below {@link #MIN_SIZE}
     */
    public static Map<String, GgufValue> metadata(int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("a placeholder vocabulary needs at least " + MIN_SIZE + " tokens, not " + size);
        }
        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        tokens.addAll(List.of("<unk>", "<s>", "</s>"));
        types.addAll(List.of(UNKNOWN, CONTROL, CONTROL));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format(Locale.ROOT, "<0x%02X>", b));
            types.add(BYTE);
        }
        if (size > MIN_SIZE) {
            // the word boundary as a token of its own, so that spaces decode back to spaces
            tokens.add("\u2581");
            types.add(NORMAL);
        }
        for (int i = tokens.size(); i < size; i++) {
            tokens.add("<tok_" + i + ">");
            types.add(NORMAL);
        }
        for (int i = 0; i < size; i++) {
            scores.add(i < MIN_SIZE ? 0f : -(float) i);
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.string("llama"));
        m.put("tokenizer.ggml.pre", GgufValue.string("default"));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2));
        m.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        return m;
    }
}
