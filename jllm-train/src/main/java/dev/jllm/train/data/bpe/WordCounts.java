package dev.jllm.train.data.bpe;

import dev.jllm.formats.tokenizer.bpe.ByteLevelAlphabet;
import dev.jllm.formats.tokenizer.bpe.PreTokenizer;
import dev.jllm.train.data.TextFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How often each pre-tokenized word occurs in a corpus, the input of {@link BpeTrainer}: special
 * tokens written in the text are cut out first (they are never merged into), the rest is split by
 * the {@link PreTokenizer} and each word is kept as its GPT-2 byte-level string.
 */
public final class WordCounts {
    private final Pattern split;
    private final Pattern specials;
    private final Map<String, long[]> raw = new HashMap<>();
    private Map<String, Long> byteLevel;
    private long bytes;

    /**
     * @param regex the pre-tokenizer's split pattern (e.g. {@link PreTokenizer#LLAMA3})
     * @param specialTokens special tokens to cut out of the text before splitting
     */
    public WordCounts(String regex, List<String> specialTokens) {
        // the flags PreTokenizer compiles with, so that training splits as the loaded tokenizer will
        this.split = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        List<String> sorted = new ArrayList<>(specialTokens);
        // longest first, so that a special token that contains another one wins
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        StringBuilder alternatives = new StringBuilder();
        for (String s : sorted) {
            if (!s.isEmpty()) {
                alternatives.append(alternatives.isEmpty() ? "" : "|").append(Pattern.quote(s));
            }
        }
        this.specials = alternatives.isEmpty() ? null : Pattern.compile(alternatives.toString());
    }

    /** Counts the words of a text. */
    public void addText(String text) {
        if (specials == null) {
            addPlain(text);
            return;
        }
        Matcher m = specials.matcher(text);
        int last = 0;
        while (m.find()) {
            addPlain(text.substring(last, m.start()));
            last = m.end();
        }
        addPlain(text.substring(last));
    }

    /**
     * Counts the words of a UTF-8 text file.
     *
     * @throws IOException when it cannot be read or is not valid UTF-8 (the message names the file)
     */
    public void addFile(Path file) throws IOException {
        addText(TextFile.read(file));
    }

    // PreTokenizer.split's "isolated" behaviour for one pattern (matches and the gaps between them are words),
    // counted as it goes instead of building a list, and keyed by the text: byte-level strings are made per distinct word
    private void addPlain(String text) {
        if (text.isEmpty()) {
            return;
        }
        byteLevel = null;
        bytes += utf8Length(text);
        Matcher m = split.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue;
            }
            if (m.start() > last) {
                countWord(text.substring(last, m.start()));
            }
            countWord(text.substring(m.start(), m.end()));
            last = m.end();
        }
        if (last < text.length()) {
            countWord(text.substring(last));
        }
    }

    private void countWord(String word) {
        long[] c = raw.get(word);
        if (c == null) {
            raw.put(word, new long[] {1});
        } else {
            c[0]++;
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += Character.isSurrogate(c) ? 1 : 3; // a lone surrogate is written as '?'
            }
        }
        return n;
    }

    private Map<String, Long> byteLevelCounts() {
        if (byteLevel == null) {
            byteLevel = new HashMap<>(raw.size() * 2);
            for (var e : raw.entrySet()) {
                byteLevel.put(ByteLevelAlphabet.encode(e.getKey().getBytes(StandardCharsets.UTF_8)), e.getValue()[0]);
            }
        }
        return byteLevel;
    }

    /** Number of distinct words. */
    public int distinct() {
        return raw.size();
    }

    /** Bytes of text counted (special tokens excluded). */
    public long bytes() {
        return bytes;
    }

    /** The count of a word given as its byte-level string, 0 if never seen. */
    public long count(String byteLevelWord) {
        return byteLevelCounts().getOrDefault(byteLevelWord, 0L);
    }

    /** The distinct byte-level words in a fixed (sorted) order, so that training does not depend on hashing. */
    List<String> sortedWords() {
        List<String> words = new ArrayList<>(byteLevelCounts().keySet());
        Collections.sort(words);
        return words;
    }
}
