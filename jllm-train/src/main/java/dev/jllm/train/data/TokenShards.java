package dev.jllm.train.data;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A data folder as {@link ShardBuilder} writes it: {@code train.bin} and {@code val.bin} token shards
 * (the validation shard may hold no tokens), made with the same vocabulary.
 */
public final class TokenShards implements AutoCloseable {
    /** File name of the training shard. */
    public static final String TRAIN = "train.bin";
    /** File name of the validation shard. */
    public static final String VALIDATION = "val.bin";

    private final TokenShard train;
    private final TokenShard validation;

    private TokenShards(TokenShard train, TokenShard validation) {
        this.train = train;
        this.validation = validation;
    }

    /**
     * Opens and checks both shards of a folder.
     *
     * @throws NoSuchFileException when the folder lacks {@code train.bin} or {@code val.bin}
     * @throws FormatException when a shard is malformed or the two disagree on the vocabulary
     */
    public static TokenShards open(Path dir) throws IOException {
        Path trainFile = dir.resolve(TRAIN);
        Path valFile = dir.resolve(VALIDATION);
        for (Path f : new Path[] {trainFile, valFile}) {
            if (!Files.isRegularFile(f)) {
                throw new NoSuchFileException(f.toString(), null, "no token shard (make one with 'jllm data')");
            }
        }
        TokenShard train = TokenShard.open(trainFile);
        try {
            TokenShard val = TokenShard.open(valFile);
            if (val.vocabSize() != train.vocabSize() || val.endOfTextId() != train.endOfTextId()) {
                val.close();
                throw new FormatException(valFile, 24, "vocab_size", "vocabulary " + val.vocabSize() + " / end-of-text "
                        + val.endOfTextId() + " differs from " + trainFile + "'s " + train.vocabSize() + " / "
                        + train.endOfTextId());
            }
            return new TokenShards(train, val);
        } catch (IOException | RuntimeException e) {
            train.close();
            throw e;
        }
    }

    /** The training tokens. */
    public TokenShard train() {
        return train;
    }

    /** The validation tokens (possibly none). */
    public TokenShard validation() {
        return validation;
    }

    /** The vocabulary size the ids were made with. */
    public int vocabSize() {
        return train.vocabSize();
    }

    /** Unmaps both shards. */
    @Override
    public void close() {
        train.close();
        validation.close();
    }
}
