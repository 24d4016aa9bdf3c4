package dev.jllm.formats.tokenizer.sentencepiece;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * SentencePiece's precompiled normalisation map (normalizer_spec.precompiled_charsmap, e.g.
 * nmt_nfkc): a uint32 size, a double-array trie over UTF-8 bytes in XOR-compressed form, then
 * NUL-terminated replacement strings. Each input position takes the replacement of the longest
 * matching prefix, or else its own character.
 */
public final class PrecompiledCharsMap {
    private final int[] trie;
    private final byte[] replacements;

    private PrecompiledCharsMap(int[] trie, byte[] replacements) {
        this.trie = trie;
        this.replacements = replacements;
    }

    /**
     * Parses the blob.
     *
     * @throws IllegalArgumentException when the sizes inside do not fit the blob
     */
    public static PrecompiledCharsMap parse(byte[] blob) {
        if (blob.length < 4) {
            throw new IllegalArgumentException("precompiled charsmap of " + blob.length + " bytes has no header");
        }
        long size = (blob[0] & 0xFFL) | (blob[1] & 0xFFL) << 8 | (blob[2] & 0xFFL) << 16 | (blob[3] & 0xFFL) << 24;
        if (size % 4 != 0 || size + 4 > blob.length) {
            throw new IllegalArgumentException("precompiled charsmap trie size " + size + " does not fit its " + blob.length + " bytes");
        }
        int[] trie = new int[(int) (size / 4)];
        for (int i = 0; i < trie.length; i++) {
            int o = 4 + 4 * i;
            trie[i] = (blob[o] & 0xFF) | (blob[o + 1] & 0xFF) << 8 | (blob[o + 2] & 0xFF) << 16 | (blob[o + 3] & 0xFF) << 24;
        }
        byte[] rest = new byte[blob.length - 4 - (int) size];
        System.arraycopy(blob, 4 + (int) size, rest, 0, rest.length);
        return new PrecompiledCharsMap(trie, rest);
    }

    private int node(int index) {
        return index >= 0 && index < trie.length ? trie[index] : 0;
    }

    // BASE is bits 10..30, shifted left by 8 when bit 9 is set.
    private int base(int index) {
        int n = node(index);
        return (n >>> 10) << ((n & (1 << 9)) >>> 6);
    }

    /** Normalises text. */
    public String normalize(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 16);
        int pos = 0;
        while (pos < in.length) {
            int matchLen = 0;
            int matchValue = -1;
            if (trie.length > 0) {
                int index = base(0);
                for (int p = pos; p < in.length; p++) {
                    int c = in[p] & 0xFF;
                    if (c == 0) {
                        break;
                    }
                    index ^= c;
                    int n = node(index);
                    if ((n & ((1 << 31) | 0xFF)) != c) {
                        break; // LCHECK differs: not a child of the previous node
                    }
                    boolean leaf = ((n >>> 8) & 1) != 0;
                    index ^= base(index);
                    if (leaf) {
                        matchLen = p - pos + 1;
                        matchValue = node(index) & 0x7FFFFFFF;
                    }
                }
            }
            if (matchLen > 0 && matchValue < replacements.length) {
                int end = matchValue;
                while (end < replacements.length && replacements[end] != 0) {
                    end++;
                }
                out.write(replacements, matchValue, end - matchValue);
                pos += matchLen;
            } else {
                int len = utf8Length(in, pos);
                if (len > 0) {
                    out.write(in, pos, len);
                    pos += len;
                } else {
                    out.writeBytes("\uFFFD".getBytes(StandardCharsets.UTF_8));
                    pos++;
                }
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    // Length of the valid UTF-8 sequence at pos, or 0 (Java strings encode to valid UTF-8, so this is defensive).
    private static int utf8Length(byte[] b, int pos) {
        int c = b[pos] & 0xFF;
        int len = c < 0x80 ? 1 : c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (len == 0 || pos + len > b.length) {
            return 0;
        }
        for (int i = 1; i < len; i++) {
            if ((b[pos + i] & 0xC0) != 0x80) {
                return 0;
            }
        }
        return len;
    }
}
