package dev.jllm.formats.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added and special tokens written in text, leftmost and then longest first (as the
 * Aho-Corasick matcher of Hugging Face tokenizers does), so the text between them can go to the model.
 */
public final class AddedTokenMatcher {

    /** One stretch of the input: either plain text (id -1) or an added token. */
    public record Segment(String text, int id) {
        /** Whether this stretch is an added token. */
        public boolean isToken() {
            return id >= 0;
        }
    }

    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        int id = -1;
        boolean lstrip;
        boolean rstrip;
    }

    private final Node root = new Node();
    private boolean empty = true;

    /** Adds a token string with its id; empty strings are ignored. */
    public void add(String content, int id) {
        add(content, id, false, false);
    }

    /**
     * Adds a token string that also swallows the whitespace before it ({@code lstrip}) and/or after it
     * ({@code rstrip}), as Hugging Face added tokens with those flags do.
     */
    public void add(String content, int id, boolean lstrip, boolean rstrip) {
        if (content.isEmpty()) {
            return;
        }
        Node n = root;
        for (int i = 0; i < content.length(); i++) {
            n = n.next.computeIfAbsent(content.charAt(i), c -> new Node());
        }
        n.id = id;
        n.lstrip = lstrip;
        n.rstrip = rstrip;
        empty = false;
    }

    /** Whether no token was added. */
    public boolean isEmpty() {
        return empty;
    }

    /** Splits text into plain stretches and added tokens, in order; empty plain stretches are left out. */
    public void split(String text, List<Segment> out) {
        if (empty) {
            if (!text.isEmpty()) {
                out.add(new Segment(text, -1));
            }
            return;
        }
        int plainStart = 0;
        int i = 0;
        while (i < text.length()) {
            Node n = root;
            int bestEnd = -1;
            Node best = null;
            for (int j = i; j < text.length(); j++) {
                n = n.next.get(text.charAt(j));
                if (n == null) {
                    break;
                }
                if (n.id >= 0) {
                    bestEnd = j + 1;
                    best = n;
                }
            }
            if (bestEnd < 0) {
                i++;
                continue;
            }
            int plainEnd = i;
            while (best.lstrip && plainEnd > plainStart && Character.isWhitespace(text.charAt(plainEnd - 1))) {
                plainEnd--;
            }
            if (plainEnd > plainStart) {
                out.add(new Segment(text.substring(plainStart, plainEnd), -1));
            }
            out.add(new Segment(text.substring(i, bestEnd), best.id));
            i = bestEnd;
            while (best.rstrip && i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            plainStart = i;
        }
        if (plainStart < text.length()) {
            out.add(new Segment(text.substring(plainStart), -1));
        }
    }
}
