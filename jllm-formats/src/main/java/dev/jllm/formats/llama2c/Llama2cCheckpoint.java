package dev.jllm.formats.llama2c;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A llama2.c ({@code run.c}) float32 checkpoint, memory-mapped and viewed in place.
 *
 * <p>Layout: seven little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a negative vocab_size means the classifier is stored separately), then F32 arrays in this
 * order: token embeddings [vocab, dim], attention RMS weights [layers, dim], wq [layers, dim, dim],
 * wk and wv [layers, kv_dim, dim], wo [layers, dim, dim], FFN RMS weights [layers, dim],
 * w1 [layers, hidden, dim], w2 [layers, dim, hidden], w3 [layers, hidden, dim], final RMS weight [dim],
 * two unused RoPE tables [seq_len, head_size / 2] each, and the classifier [vocab, dim] only when unshared.
 * Matrices are row-major with the input dimension last, as {@link Tensor} expects.
 */
public final class Llama2cCheckpoint implements AutoCloseable {
    /** Bytes of the header. */
    public static final int HEADER_BYTES = 7 * Integer.BYTES;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Llama2cConfig config;
    private final long[] offsets = new long[Part.values().length];

    /** The arrays of the file in the order they are stored. */
    private enum Part {
        TOKEN_EMBEDDING, RMS_ATT, WQ, WK, WV, WO, RMS_FFN, W1, W2, W3, RMS_FINAL, FREQ_CIS_REAL, FREQ_CIS_IMAG, CLASSIFIER
    }

    private Llama2cCheckpoint(Path file, Arena arena, MemorySegment data, Llama2cConfig config) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.config = config;
        long off = HEADER_BYTES;
        for (Part p : Part.values()) {
            offsets[p.ordinal()] = off;
            off += floats(config, p) * Float.BYTES;
        }
    }

    /**
     * Maps a checkpoint read-only.
     *
     * @throws FormatException naming the header field when a value is out of range, or when the file
     *     size differs from the size the header implies
     */
    public static Llama2cCheckpoint open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new FormatException(file, 0, "header", "file has " + size + " bytes, a llama2.c header needs "
                        + HEADER_BYTES);
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Llama2cConfig config = readConfig(file, seg);
            long expected;
            try {
                expected = fileSize(config);
            } catch (ArithmeticException e) {
                throw new FormatException(file, 0, "header", "sizes in the header overflow 64 bits");
            }
            if (size != expected) {
                throw new FormatException(file, size, "file size", "header implies " + expected + " bytes ("
                        + (config.sharedClassifier() ? "shared" : "unshared") + " classifier) but the file has " + size);
            }
            return new Llama2cCheckpoint(file, arena, seg, config);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses and validates the seven header fields of {@code seg}. */
    static Llama2cConfig readConfig(Path file, MemorySegment seg) throws FormatException {
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        int[] v = new int[names.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = seg.get(INT_LE, (long) i * Integer.BYTES);
        }
        boolean shared = v[5] > 0;
        if (v[5] == Integer.MIN_VALUE) {
            throw new FormatException(file, 20, "vocab_size", "value " + v[5] + " is out of range");
        }
        v[5] = Math.abs(v[5]);
        for (int i = 0; i < v.length; i++) {
            if (v[i] <= 0) {
                throw new FormatException(file, (long) i * Integer.BYTES, names[i], "must be positive, is " + v[i]);
            }
        }
        if (v[0] % v[3] != 0) {
            throw new FormatException(file, 12, "n_heads", v[3] + " heads do not divide dim " + v[0]);
        }
        if (v[4] > v[3] || v[3] % v[4] != 0) {
            throw new FormatException(file, 16, "n_kv_heads", v[4] + " key/value heads do not divide n_heads " + v[3]);
        }
        if ((v[0] / v[3]) % 2 != 0) {
            throw new FormatException(file, 12, "n_heads", "head size " + (v[0] / v[3]) + " must be even for RoPE");
        }
        return new Llama2cConfig(v[0], v[1], v[2], v[3], v[4], v[5], v[6], shared);
    }

    /** Bytes a checkpoint with {@code config} occupies, header included. */
    public static long fileSize(Llama2cConfig config) {
        long total = HEADER_BYTES;
        for (Part p : Part.values()) {
            total = Math.addExact(total, Math.multiplyExact(floats(config, p), (long) Float.BYTES));
        }
        return total;
    }

    private static long floats(Llama2cConfig c, Part p) {
        long dim = c.dim();
        long hidden = c.hiddenDim();
        long layers = c.layers();
        long kv = c.kvDim();
        long vocab = c.vocabSize();
        long half = c.headSize() / 2;
        return switch (p) {
            case TOKEN_EMBEDDING -> Math.multiplyExact(vocab, dim);
            case RMS_ATT, RMS_FFN -> Math.multiplyExact(layers, dim);
            case WQ, WO -> Math.multiplyExact(layers, Math.multiplyExact(dim, dim));
            case WK, WV -> Math.multiplyExact(layers, Math.multiplyExact(kv, dim));
            case W1, W2, W3 -> Math.multiplyExact(layers, Math.multiplyExact(hidden, dim));
            case RMS_FINAL -> dim;
            case FREQ_CIS_REAL, FREQ_CIS_IMAG -> Math.multiplyExact((long) c.seqLen(), half);
            case CLASSIFIER -> c.sharedClassifier() ? 0 : Math.multiplyExact(vocab, dim);
        };
    }

    /** The file this checkpoint was mapped from. */
    public Path file() {
        return file;
    }

    /** The header. */
    public Llama2cConfig config() {
        return config;
    }

    /** Token embedding table [vocab, dim]. */
    public Tensor tokenEmbedding() {
        return view(Part.TOKEN_EMBEDDING, -1, config.vocabSize(), config.dim());
    }

    /** RMSNorm weight before attention of {@code layer} [dim]. */
    public Tensor attentionNorm(int layer) {
        return view(Part.RMS_ATT, layer, config.dim());
    }

    /** Query projection of {@code layer} [dim, dim]. */
    public Tensor wq(int layer) {
        return view(Part.WQ, layer, config.dim(), config.dim());
    }

    /** Key projection of {@code layer} [kv_dim, dim]. */
    public Tensor wk(int layer) {
        return view(Part.WK, layer, config.kvDim(), config.dim());
    }

    /** Value projection of {@code layer} [kv_dim, dim]. */
    public Tensor wv(int layer) {
        return view(Part.WV, layer, config.kvDim(), config.dim());
    }

    /** Attention output projection of {@code layer} [dim, dim]. */
    public Tensor wo(int layer) {
        return view(Part.WO, layer, config.dim(), config.dim());
    }

    /** RMSNorm weight before the feed-forward block of {@code layer} [dim]. */
    public Tensor ffnNorm(int layer) {
        return view(Part.RMS_FFN, layer, config.dim());
    }

    /** Gate projection of {@code layer} [hidden, dim]. */
    public Tensor w1(int layer) {
        return view(Part.W1, layer, config.hiddenDim(), config.dim());
    }

    /** Down projection of {@code layer} [dim, hidden]. */
    public Tensor w2(int layer) {
        return view(Part.W2, layer, config.dim(), config.hiddenDim());
    }

    /** Up projection of {@code layer} [hidden, dim]. */
    public Tensor w3(int layer) {
        return view(Part.W3, layer, config.hiddenDim(), config.dim());
    }

    /** Final RMSNorm weight [dim]. */
    public Tensor finalNorm() {
        return view(Part.RMS_FINAL, -1, config.dim());
    }

    /** Output classifier [vocab, dim]: the token embedding table when shared. */
    public Tensor classifier() {
        return config.sharedClassifier() ? tokenEmbedding() : view(Part.CLASSIFIER, -1, config.vocabSize(), config.dim());
    }

    /**
     * Every weight under its GGUF (llama.cpp) name: {@code token_embd.weight}, {@code blk.N.attn_norm.weight},
     * {@code blk.N.attn_q/attn_k/attn_v/attn_output.weight}, {@code blk.N.ffn_norm.weight},
     * {@code blk.N.ffn_gate/ffn_down/ffn_up.weight} (w1, w2, w3), {@code output_norm.weight} and, when the
     * classifier is not shared, {@code output.weight}. Like GGUF llama weights, llama2.c's query and key
     * rows are in the order that rotates adjacent pairs in RoPE.
     */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("token_embd.weight", tokenEmbedding());
        for (int l = 0; l < config.layers(); l++) {
            String b = "blk." + l + ".";
            m.put(b + "attn_norm.weight", attentionNorm(l));
            m.put(b + "attn_q.weight", wq(l));
            m.put(b + "attn_k.weight", wk(l));
            m.put(b + "attn_v.weight", wv(l));
            m.put(b + "attn_output.weight", wo(l));
            m.put(b + "ffn_norm.weight", ffnNorm(l));
            m.put(b + "ffn_gate.weight", w1(l));
            m.put(b + "ffn_down.weight", w2(l));
            m.put(b + "ffn_up.weight", w3(l));
        }
        m.put("output_norm.weight", finalNorm());
        if (!config.sharedClassifier()) {
            m.put("output.weight", classifier());
        }
        return m;
    }

    /** Byte offset in the file where the token embedding table starts (the first weight). */
    public long weightsOffset() {
        return HEADER_BYTES;
    }

    /** Views one array of the file, or one layer's slice of a per-layer array when {@code layer >= 0}. */
    private Tensor view(Part part, int layer, long... shape) {
        long perItem = Float.BYTES;
        for (long d : shape) {
            perItem *= d;
        }
        long off = offsets[part.ordinal()];
        if (layer >= 0) {
            Objects.checkIndex(layer, config.layers());
            off += layer * perItem;
        }
        return Tensor.wrap(DType.F32, data.asSlice(off, perItem), shape);
    }

    /** Unmaps the file; tensors taken from it must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
