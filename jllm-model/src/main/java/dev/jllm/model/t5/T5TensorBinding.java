package dev.jllm.model.t5;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.model.t5.T5TensorNames.Global;
import dev.jllm.model.t5.T5TensorNames.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds a file's tensors to {@link T5Weights} by their GGUF names: matrices as views into the mapped file, norm
 * weights and the position-bias tables as floats.
 */
final class T5TensorBinding {
    /** Where tensors come from: a GGUF file or safetensors files. */
    interface Source {
        /** Whether the file has a tensor of this name. */
        boolean has(String name);

        /** The tensor of this name, as a view; only called when {@link #has} says it exists. */
        Tensor tensor(String name) throws FormatException;

        /** The file that holds the tensor (or the model's file), for error messages. */
        Path fileOf(String name);

        /** The tensor's name as its file spells it, for error messages. */
        default String nameInFile(String name) {
            return name;
        }
    }

    private final Source source;

    /** A binding of {@code source}'s tensors, asked for by their GGUF names. */
    T5TensorBinding(Source source) {
        this.source = source;
    }

    /**
     * The weights of a model of {@code c}.
     *
     * @param embedding the token embedding (already found by the caller, which may know more names for it)
     * @throws FormatException naming the tensor that is missing or has a type without kernels
     */
    T5Weights bind(T5Config c, Tensor embedding) throws FormatException {
        boolean gated = c.mlp() == T5Config.Mlp.GATED_GELU;
        List<T5Block> encoder = new ArrayList<>();
        for (int i = 0; i < c.encoderLayers(); i++) {
            encoder.add(block(false, i, gated));
        }
        List<T5Block> decoder = new ArrayList<>();
        for (int i = 0; i < c.decoderLayers(); i++) {
            decoder.add(block(true, i, gated));
        }
        Tensor output = c.tiedHead() ? embedding : tensor(T5TensorNames.global(Global.OUTPUT));
        return new T5Weights(embedding, floats(T5TensorNames.block(false, 0, Role.REL_BIAS)), encoder,
                floats(T5TensorNames.global(Global.ENCODER_NORM)), floats(T5TensorNames.block(true, 0, Role.REL_BIAS)), decoder,
                floats(T5TensorNames.global(Global.DECODER_NORM)), output);
    }

    private T5Block block(boolean decoder, int i, boolean gated) throws FormatException {
        return new T5Block(floats(name(decoder, i, Role.ATTN_NORM, gated)), tensor(name(decoder, i, Role.Q, gated)),
                tensor(name(decoder, i, Role.K, gated)), tensor(name(decoder, i, Role.V, gated)),
                tensor(name(decoder, i, Role.O, gated)),
                decoder ? floats(name(true, i, Role.CROSS_NORM, gated)) : null,
                decoder ? tensor(name(true, i, Role.CROSS_Q, gated)) : null,
                decoder ? tensor(name(true, i, Role.CROSS_K, gated)) : null,
                decoder ? tensor(name(true, i, Role.CROSS_V, gated)) : null,
                decoder ? tensor(name(true, i, Role.CROSS_O, gated)) : null,
                floats(name(decoder, i, Role.FFN_NORM, gated)),
                gated ? tensor(name(decoder, i, Role.GATE, gated)) : null, tensor(name(decoder, i, Role.UP, gated)),
                tensor(name(decoder, i, Role.DOWN, gated)));
    }

    private String name(boolean decoder, int layer, Role role, boolean gated) {
        return T5TensorNames.block(decoder, layer, role);
    }

    /**
     * The tensor called {@code name}, checked to have kernels.
     *
     * @throws FormatException if it is missing or its type has no kernels
     */
    Tensor tensor(String name) throws FormatException {
        if (!source.has(name)) {
            throw new FormatException(source.fileOf(name), -1, source.nameInFile(name), "tensor is missing");
        }
        Tensor t = source.tensor(name);
        try {
            WeightKernels.simd(t.type());
        } catch (IllegalArgumentException e) {
            throw new FormatException(source.fileOf(name), -1, source.nameInFile(name), "tensor type " + t.type()
                    + " has no kernels in jllm");
        }
        return t;
    }

    private float[] floats(String name) throws FormatException {
        Tensor t = tensor(name);
        if (t.elements() > Integer.MAX_VALUE) {
            throw new FormatException(source.fileOf(name), -1, source.nameInFile(name), "is too large for a vector");
        }
        float[] out = new float[(int) t.elements()];
        WeightKernels.simd(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }
}
