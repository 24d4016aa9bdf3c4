package dev.jllm.formats.tokenizer.load;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.TokenType;
import dev.jllm.formats.tokenizer.sentencepiece.SentencePieceBpeTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's {@code tokenizer.bin}: int32 max_token_length, then per token a float32 score, an
 * int32 byte length and the bytes (little-endian). Spaces are written as spaces (not {@code ▁}),
 * BOS/EOS as {@code "\n<s>\n"}/{@code "\n</s>\n"}; encoding is SentencePiece BPE by score.
 */
public final class Llama2cTokenizerFile {
    private Llama2cTokenizerFile() {
    }

    /** The raw pieces and scores of a {@code tokenizer.bin}, in file order. */
    public record Entries(List<String> pieces, List<Float> scores) {
    }

    /**
     * Reads at most {@code limit} entries (fewer when the file ends first), validating every
     * length against the header's maximum and the bytes left.
     */
    public static Entries readEntries(Path file, int limit) throws IOException {
        byte[] data = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) {
            throw new FormatException(file, 0, "max_token_length", "file shorter than its 4-byte header");
        }
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw new FormatException(file, 0, "max_token_length", "implausible value " + maxLen);
        }
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining() && tokens.size() < limit) {
            int at = b.position();
            String field = "tokens[" + tokens.size() + "]";
            if (b.remaining() < 8) {
                throw new FormatException(file, at, field, "truncated: " + b.remaining() + " bytes left, need 8 for score and length");
            }
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw new FormatException(file, at + 4, field + ".length",
                        "length " + len + " (max_token_length " + maxLen + ", " + b.remaining() + " bytes left)");
            }
            byte[] bytes = new byte[len];
            b.get(bytes);
            tokens.add(new String(bytes, StandardCharsets.UTF_8));
            scores.add(score);
        }
        return new Entries(tokens, scores);
    }

    /** Reads every token up to the end of the file. */
    public static SentencePieceBpeTokenizer load(Path file) throws IOException {
        Entries entries = readEntries(file, Integer.MAX_VALUE);
        List<String> tokens = entries.pieces();
        List<Float> scores = entries.scores();
        if (tokens.size() < 3) {
            throw new FormatException(file, -1, "tokens", "only " + tokens.size() + " tokens");
        }
        int n = tokens.size();
        String[] pieces = new String[n];
        TokenType[] types = new TokenType[n];
        float[] sc = new float[n];
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            sc[i] = scores.get(i);
            if (t.equals("\n<s>\n") || t.equals("\n</s>\n")) {
                pieces[i] = t.strip();
                types[i] = TokenType.CONTROL;
            } else if (t.equals("<unk>")) {
                pieces[i] = t;
                types[i] = TokenType.UNKNOWN;
            } else if (t.length() == 6 && t.matches("<0x[0-9A-F]{2}>")) {
                pieces[i] = t;
                types[i] = TokenType.BYTE;
            } else {
                pieces[i] = t.replace(' ', SentencePieceBpeTokenizer.SPACE);
                types[i] = TokenType.NORMAL;
            }
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        int unk = types[0] == TokenType.UNKNOWN ? 0 : -1;
        SentencePieceBpeTokenizer tok = new SentencePieceBpeTokenizer(pieces, types,
                SentencePieceBpeTokenizer.mergesFromScores(pieces, types, sc, ids), true, true, false, unk);
        int bos = ids.getOrDefault("<s>", 1);
        int eos = ids.getOrDefault("</s>", 2);
        tok.setSpecialTokens(new SpecialTokens(bos, new int[] {eos}, -1, unk, true, false));
        return tok;
    }
}
