package dev.jllm.formats.tokenizer.sentencepiece;

import dev.jllm.formats.FormatException;
import dev.jllm.formats.tokenizer.AbstractTokenizer;
import dev.jllm.formats.tokenizer.SpecialTokens;
import dev.jllm.formats.tokenizer.TokenType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A SentencePiece {@code tokenizer.model}: the protobuf ModelProto, read with a small wire-format
 * reader (pieces with score and type, trainer_spec's model type, byte fallback and special ids,
 * normalizer_spec's name, dummy prefix and whitespace handling).
 *
 * @param pieces piece strings
 * @param scores piece scores
 * @param types piece kinds
 * @param modelType 1 unigram, 2 BPE, 3 word, 4 char
 * @param byteFallback trainer_spec.byte_fallback
 * @param unkId trainer_spec.unk_id
 * @param bosId trainer_spec.bos_id
 * @param eosId trainer_spec.eos_id
 * @param padId trainer_spec.pad_id
 * @param normalizerName normalizer_spec.name
 * @param addDummyPrefix normalizer_spec.add_dummy_prefix
 * @param removeExtraWhitespaces normalizer_spec.remove_extra_whitespaces
 * @param precompiledCharsmap normalizer_spec.precompiled_charsmap (may be empty)
 */
public record SentencePieceModelFile(String[] pieces, float[] scores, TokenType[] types, int modelType,
                                     boolean byteFallback, int unkId, int bosId, int eosId, int padId,
                                     String normalizerName, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                                     byte[] precompiledCharsmap) {

    /** Reads a model file. */
    public static SentencePieceModelFile read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file);
    }

    /** Parses model bytes; {@code file} names the source in errors. */
    public static SentencePieceModelFile parse(byte[] data, Path file) throws FormatException {
        Wire w = new Wire(data, 0, data.length, file);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<TokenType> types = new ArrayList<>();
        int[] trainer = {1, 0, 0, 1, 2, -1}; // model_type, byte_fallback, unk, bos, eos, pad
        Object[] norm = {"", true, true, new byte[0]};
        while (w.more()) {
            long tag = w.varint("ModelProto tag");
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 1 && wire == 2) {
                Wire p = w.sub("pieces[" + pieces.size() + "]");
                String text = null;
                float score = 0;
                int type = 1;
                while (p.more()) {
                    long t = p.varint("pieces[" + pieces.size() + "] tag");
                    int f = (int) (t >>> 3);
                    if (f == 1 && (t & 7) == 2) {
                        text = p.string("pieces[" + pieces.size() + "].piece");
                    } else if (f == 2 && (t & 7) == 5) {
                        score = Float.intBitsToFloat(p.fixed32("pieces[" + pieces.size() + "].score"));
                    } else if (f == 3 && (t & 7) == 0) {
                        type = (int) p.varint("pieces[" + pieces.size() + "].type");
                    } else {
                        p.skip((int) (t & 7), "pieces[" + pieces.size() + "] field " + f);
                    }
                }
                if (text == null) {
                    throw new FormatException(file, w.pos, "pieces[" + pieces.size() + "].piece", "missing");
                }
                pieces.add(text);
                scores.add(score);
                types.add(TokenType.of(type));
            } else if (field == 2 && wire == 2) {
                Wire t = w.sub("trainer_spec");
                while (t.more()) {
                    long tg = t.varint("trainer_spec tag");
                    int f = (int) (tg >>> 3);
                    if ((tg & 7) == 0 && (f == 3 || f == 35 || (f >= 40 && f <= 43))) {
                        int v = (int) t.varint("trainer_spec field " + f);
                        switch (f) {
                            case 3 -> trainer[0] = v;
                            case 35 -> trainer[1] = v;
                            case 40 -> trainer[2] = v;
                            case 41 -> trainer[3] = v;
                            case 42 -> trainer[4] = v;
                            default -> trainer[5] = v;
                        }
                    } else {
                        t.skip((int) (tg & 7), "trainer_spec field " + f);
                    }
                }
            } else if (field == 3 && wire == 2) {
                Wire n = w.sub("normalizer_spec");
                while (n.more()) {
                    long tg = n.varint("normalizer_spec tag");
                    int f = (int) (tg >>> 3);
                    if (f == 1 && (tg & 7) == 2) {
                        norm[0] = n.string("normalizer_spec.name");
                    } else if (f == 2 && (tg & 7) == 2) {
                        norm[3] = n.bytes("normalizer_spec.precompiled_charsmap");
                    } else if ((f == 3 || f == 4) && (tg & 7) == 0) {
                        norm[f - 2] = n.varint("normalizer_spec field " + f) != 0;
                    } else {
                        n.skip((int) (tg & 7), "normalizer_spec field " + f);
                    }
                }
            } else {
                w.skip(wire, "ModelProto field " + field);
            }
        }
        if (pieces.isEmpty()) {
            throw new FormatException(file, -1, "pieces", "no pieces: not a SentencePiece model");
        }
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) {
            sc[i] = scores.get(i);
        }
        return new SentencePieceModelFile(pieces.toArray(new String[0]), sc, types.toArray(new TokenType[0]),
                trainer[0], trainer[1] != 0, trainer[2], trainer[3], trainer[4], trainer[5],
                (String) norm[0], (Boolean) norm[1], (Boolean) norm[2], (byte[]) norm[3]);
    }

    /**
     * The tokenizer of this model; encode adds BOS as llama.cpp and Hugging Face do for SentencePiece models.
     *
     * @throws FormatException for model types other than unigram and BPE
     */
    public AbstractTokenizer toTokenizer(Path file) throws FormatException {
        AbstractTokenizer tok;
        String[] ps = pieces.clone();
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < ps.length; i++) {
            ids.putIfAbsent(ps[i], i);
        }
        int unk = unkId >= 0 && unkId < ps.length ? unkId : -1;
        if (modelType == 2) {
            tok = new SentencePieceBpeTokenizer(ps, types.clone(),
                    SentencePieceBpeTokenizer.mergesFromScores(ps, types, scores, ids), byteFallback,
                    addDummyPrefix, removeExtraWhitespaces, unk);
        } else if (modelType == 1) {
            UnaryOperator<String> chars = UnaryOperator.identity();
            if (precompiledCharsmap.length > 0) {
                try {
                    chars = PrecompiledCharsMap.parse(precompiledCharsmap)::normalize;
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file, -1, "normalizer_spec.precompiled_charsmap", e.getMessage());
                }
            } else if (normalizerName.startsWith("nmt_nfkc") || normalizerName.startsWith("nfkc")) {
                chars = UnigramTokenizer.NFKC;
            }
            tok = new UnigramTokenizer(ps, types.clone(), scores.clone(), byteFallback, addDummyPrefix,
                    removeExtraWhitespaces, chars, unk);
        } else {
            throw new FormatException(file, -1, "trainer_spec.model_type",
                    "model type " + modelType + " is not supported (1 unigram, 2 BPE)");
        }
        for (int i = 0; i < ps.length; i++) {
            if (types[i] == TokenType.USER_DEFINED) {
                tok.addToken(i, ps[i], false);
            }
        }
        int bos = bosId >= 0 && bosId < ps.length ? bosId : -1;
        int eos = eosId >= 0 && eosId < ps.length ? eosId : -1;
        int pad = padId >= 0 && padId < ps.length ? padId : -1;
        tok.setSpecialTokens(new SpecialTokens(bos, eos >= 0 ? new int[] {eos} : new int[0], pad, unk, bos >= 0, false));
        return tok;
    }

    /** Protobuf wire-format reading over a byte range, every length checked against what remains. */
    private static final class Wire {
        final byte[] data;
        int pos;
        final int end;
        final Path file;

        Wire(byte[] data, int pos, int end, Path file) {
            this.data = data;
            this.pos = pos;
            this.end = end;
            this.file = file;
        }

        boolean more() {
            return pos < end;
        }

        long varint(String field) throws FormatException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new FormatException(file, pos, field, "varint runs past the end");
                }
                int b = data[pos++] & 0xFF;
                v |= (long) (b & 0x7F) << shift;
                if (b < 0x80) {
                    return v;
                }
            }
            throw new FormatException(file, pos, field, "varint longer than 10 bytes");
        }

        int fixed32(String field) throws FormatException {
            if (end - pos < 4) {
                throw new FormatException(file, pos, field, "fixed32 runs past the end");
            }
            int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8 | (data[pos + 2] & 0xFF) << 16
                    | (data[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        int length(String field) throws FormatException {
            long len = varint(field);
            if (len < 0 || len > end - pos) {
                throw new FormatException(file, pos, field, "length " + len + " exceeds the " + (end - pos) + " bytes left");
            }
            return (int) len;
        }

        Wire sub(String field) throws FormatException {
            int len = length(field);
            Wire w = new Wire(data, pos, pos + len, file);
            pos += len;
            return w;
        }

        byte[] bytes(String field) throws FormatException {
            int len = length(field);
            byte[] b = Arrays.copyOfRange(data, pos, pos + len);
            pos += len;
            return b;
        }

        String string(String field) throws FormatException {
            int len = length(field);
            String s = new String(data, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        void skip(int wire, String field) throws FormatException {
            switch (wire) {
                case 0 -> varint(field);
                case 1 -> {
                    if (end - pos < 8) {
                        throw new FormatException(file, pos, field, "fixed64 runs past the end");
                    }
                    pos += 8;
                }
                case 2 -> {
                    int len = length(field); // read first: pos moves past the length varint
                    pos += len;
                }
                case 5 -> fixed32(field);
                default -> throw new FormatException(file, pos, field, "unsupported wire type " + wire);
            }
        }
    }
}
