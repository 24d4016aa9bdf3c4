package dev.jllm.train.data;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.AtomicFile;
import dev.jllm.formats.io.ChannelWrites;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What a run's token shards were made from: each text file's size and SHA-256 (in order), the
 * tokenizer file's SHA-256 and the validation split's fraction and seed. A run that encodes its own
 * text keeps this next to the shards, and a resumed run compares the files it is given against it,
 * so that it never continues on other data than it started with.
 *
 * @param inputs the text files, in the order they were encoded
 * @param tokenizerSha256 the tokenizer file's SHA-256 in hex
 * @param validationFraction fraction of the documents (or tokens) sent to validation
 * @param splitSeed the split's seed
 */
public record ShardOrigin(List<Input> inputs, String tokenizerSha256, double validationFraction, long splitSeed) {
    private static final String MAGIC = "jllm-shard-origin 1";

    /**
     * One text file.
     *
     * @param path the path it was given as
     * @param size its size in bytes
     * @param sha256 its SHA-256 in hex
     */
    public record Input(String path, long size, String sha256) {
    }

    /** The origin of shards about to be made from these files now (reads and hashes each). */
    public static ShardOrigin of(List<Path> inputs, Path tokenizer, double validationFraction, long splitSeed)
            throws IOException {
        List<Input> list = new ArrayList<>();
        for (Path p : inputs) {
            list.add(new Input(p.toString(), Files.size(p), sha256(p)));
        }
        return new ShardOrigin(List.copyOf(list), sha256(tokenizer), validationFraction, splitSeed);
    }

    /** The SHA-256 of a file's bytes, in lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Writes the record as text lines, atomically. */
    public void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        sb.append("tokenizer ").append(tokenizerSha256).append('\n');
        sb.append(String.format(Locale.ROOT, "validation_fraction %s%n", Double.toString(validationFraction)));
        sb.append("split_seed ").append(splitSeed).append('\n');
        for (Input in : inputs) {
            sb.append("input ").append(in.size()).append(' ').append(in.sha256()).append(' ').append(in.path())
                    .append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> ChannelWrites.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /**
     * Reads a record {@link #write} wrote.
     *
     * @throws FormatException naming the file and line when it is not one
     */
    public static ShardOrigin read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            throw new FormatException(file, 0, "line 1", "not a jllm shard origin record");
        }
        String tokenizer = null;
        double fraction = Double.NaN;
        Long seed = null;
        List<Input> inputs = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(" ", 4);
            try {
                switch (f[0]) {
                    case "tokenizer" -> tokenizer = f[1];
                    case "validation_fraction" -> fraction = Double.parseDouble(f[1]);
                    case "split_seed" -> seed = Long.parseLong(f[1]);
                    case "input" -> inputs.add(new Input(f[3], Long.parseLong(f[1]), f[2]));
                    default -> throw new FormatException(file, -1, "line " + (i + 1), "unknown field " + f[0]);
                }
            } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                throw new FormatException(file, -1, "line " + (i + 1), "malformed: " + lines.get(i));
            }
        }
        if (tokenizer == null || Double.isNaN(fraction) || seed == null || inputs.isEmpty()) {
            throw new FormatException(file, -1, "", "incomplete shard origin record");
        }
        return new ShardOrigin(List.copyOf(inputs), tokenizer, fraction, seed);
    }

    /**
     * Checks that {@code now} describes the same data as this record.
     *
     * @param compareTokenizer whether the tokenizer must match too (false when none was named this time)
     * @throws IllegalArgumentException naming the first difference
     */
    public void requireSame(ShardOrigin now, boolean compareTokenizer) {
        if (now.inputs.size() != inputs.size()) {
            throw new IllegalArgumentException("the run's shards were made from " + inputs.size() + " text file(s), "
                    + "this time " + now.inputs.size() + " were given; give the same --data files");
        }
        for (int i = 0; i < inputs.size(); i++) {
            Input was = inputs.get(i);
            Input is = now.inputs.get(i);
            if (was.size() != is.size() || !was.sha256().equals(is.sha256())) {
                throw new IllegalArgumentException("--data file " + is.path() + " differs from " + was.path()
                        + " the run's shards were made from (" + is.size() + " bytes, SHA-256 "
                        + is.sha256().substring(0, 12) + "… against " + was.size() + " bytes, "
                        + was.sha256().substring(0, 12) + "…); give the same files or start a new run");
            }
        }
        if (compareTokenizer && !tokenizerSha256.equals(now.tokenizerSha256)) {
            throw new IllegalArgumentException("--tokenizer differs from the one the run's shards were made with");
        }
        if (Double.compare(validationFraction, now.validationFraction) != 0) {
            throw new IllegalArgumentException("--val-fraction " + now.validationFraction + " differs from the run's "
                    + validationFraction);
        }
        if (splitSeed != now.splitSeed) {
            throw new IllegalArgumentException("the split seed " + now.splitSeed + " differs from the run's "
                    + splitSeed);
        }
    }
}
