package dev.jllm.train.data;

import dev.jllm.formats.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns text files into the {@code train.bin} / {@code val.bin} shards of {@link TokenShards}.
 * Documents are the input files, further cut at each occurrence of a separator string when one is
 * given (empty documents are dropped); each is encoded without BOS/EOS, special tokens written in it
 * taken as plain text, and followed by the end-of-text id.
 *
 * <p>Validation split: with {@code D} documents and fraction {@code f}, {@code round(D·f)} documents
 * (at least one, at most {@code D-1}) drawn with the seed go to validation, each shard keeping the
 * input order; when {@code round(D·f)} is 0 (few, long documents) the last {@code ceil(f·N)} of the
 * {@code N} tokens go to validation instead.
 */
public final class ShardBuilder {
    /**
     * What was written.
     *
     * @param documents documents read
     * @param validationDocuments documents sent to validation (0 when the split took the tail)
     * @param trainTokens tokens in {@code train.bin}
     * @param validationTokens tokens in {@code val.bin}
     * @param tailSplit whether validation is the tail of the token stream rather than whole documents
     */
    public record Summary(int documents, int validationDocuments, long trainTokens, long validationTokens,
                          boolean tailSplit) {
    }

    private final Tokenizer tokenizer;
    private final int endOfTextId;
    private final String separator;

    /**
     * @param tokenizer the tokenizer
     * @param endOfTextId the id put after every document
     * @param separator the text that separates documents inside a file, or null for one document per file
     */
    public ShardBuilder(Tokenizer tokenizer, int endOfTextId, String separator) {
        if (endOfTextId < 0 || endOfTextId >= tokenizer.vocabSize()) {
            throw new IllegalArgumentException("end-of-text id " + endOfTextId + " is outside the vocabulary of "
                    + tokenizer.vocabSize());
        }
        this.tokenizer = tokenizer;
        this.endOfTextId = endOfTextId;
        this.separator = separator == null || separator.isEmpty() ? null : separator;
    }

    /** The documents of a text, in order, empty ones dropped. */
    List<String> documents(String text) {
        List<String> docs = new ArrayList<>();
        if (separator == null) {
            if (!text.isEmpty()) {
                docs.add(text);
            }
            return docs;
        }
        int from = 0;
        while (true) {
            int at = text.indexOf(separator, from);
            String doc = text.substring(from, at < 0 ? text.length() : at);
            if (!doc.isBlank()) {
                docs.add(doc);
            }
            if (at < 0) {
                return docs;
            }
            from = at + separator.length();
        }
    }

    /**
     * Encodes the inputs and writes {@code train.bin} and {@code val.bin} into {@code outDir} (created if needed).
     *
     * @param validationFraction fraction for validation, in [0, 1)
     * @throws IOException when an input cannot be read or is not UTF-8 (naming it)
     * @throws IllegalArgumentException when the inputs hold no text or the fraction is out of range
     */
    public Summary build(List<Path> inputs, double validationFraction, long seed, Path outDir) throws IOException {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " must be in [0, 1)");
        }
        List<int[]> docs = new ArrayList<>();
        for (Path in : inputs) {
            for (String doc : documents(TextFile.read(in))) {
                int[] ids = tokenizer.encode(doc, false, false);
                int[] withEnd = Arrays.copyOf(ids, ids.length + 1);
                withEnd[ids.length] = endOfTextId;
                docs.add(withEnd);
            }
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("no text in " + (inputs.size() == 1 ? inputs.get(0) : inputs.size()
                    + " input files"));
        }
        int d = docs.size();
        long validationDocs = Math.round(d * validationFraction);
        boolean[] toValidation = new boolean[d];
        boolean tail = validationFraction > 0 && validationDocs == 0;
        if (validationFraction > 0 && !tail) {
            int k = (int) Math.min(Math.max(validationDocs, 1), d - 1);
            int[] order = SplitMix.permutation(d, seed);
            for (int i = 0; i < k; i++) {
                toValidation[order[i]] = true;
            }
            validationDocs = k;
        } else {
            validationDocs = 0;
        }
        TokenBuffer train = new TokenBuffer();
        TokenBuffer val = new TokenBuffer();
        for (int i = 0; i < d; i++) {
            (toValidation[i] ? val : train).add(docs.get(i), 0, docs.get(i).length);
        }
        if (tail) {
            long total = train.size;
            int cut = (int) Math.min(Math.ceil(total * validationFraction), total - 1);
            val.add(train.ids, train.size - cut, cut);
            train.size -= cut;
        }
        Files.createDirectories(outDir);
        int vocab = tokenizer.vocabSize();
        TokenShard.write(outDir.resolve(TokenShards.TRAIN), train.ids, train.size, vocab, endOfTextId);
        TokenShard.write(outDir.resolve(TokenShards.VALIDATION), val.ids, val.size, vocab, endOfTextId);
        return new Summary(d, (int) validationDocs, train.size, val.size, tail);
    }

    /** A growable array of ids. */
    private static final class TokenBuffer {
        int[] ids = new int[1024];
        int size;

        void add(int[] src, int from, int length) {
            if (size + length > ids.length) {
                long grown = Math.max((long) ids.length * 2, (long) size + length);
                if (grown > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException("more than 2^31 tokens in one shard");
                }
                ids = Arrays.copyOf(ids, (int) grown);
            }
            System.arraycopy(src, from, ids, size, length);
            size += length;
        }
    }
}
