package dev.jllm.train.data.bpe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.formats.io.AtomicFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes a {@link TrainedBpe} as a Hugging Face {@code tokenizer.json}: model BPE with vocab and
 * merges, a pre-tokenizer of the regex split followed by ByteLevel (without its own regex, as
 * Llama 3's file does), ByteLevel decoder and post-processor, and the special tokens as added tokens.
 */
public final class TokenizerJsonWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerJsonWriter() {
    }

    /** The JSON document for a trained tokenizer. */
    public static ObjectNode toJson(TrainedBpe bpe) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < bpe.specialTokens().size(); i++) {
            ObjectNode a = added.addObject();
            a.put("id", i);
            a.put("content", bpe.specialTokens().get(i));
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", bpe.pattern());
        split.put("behavior", "Isolated");
        split.put("invert", false);
        steps.add(byteLevel(false, true, false));
        root.set("post_processor", byteLevel(true, false, true));
        root.set("decoder", byteLevel(true, true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < bpe.tokens().size(); id++) {
            vocab.put(bpe.tokens().get(id), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (String[] m : bpe.merges()) {
            // byte-level tokens never contain a space (it is written Ġ), so "left right" is unambiguous
            merges.add(m[0] + " " + m[1]);
        }
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", useRegex);
        return n;
    }

    /** Writes {@code tokenizer.json} atomically. */
    public static void write(TrainedBpe bpe, Path file) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(toJson(bpe));
        AtomicFile.write(file, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }
}
