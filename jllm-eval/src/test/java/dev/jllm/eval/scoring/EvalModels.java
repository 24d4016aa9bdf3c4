package dev.jllm.eval.scoring;

import dev.jllm.formats.quantize.GgufQuantizer;
import dev.jllm.formats.quantize.LlamaFileType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Models for eval tests: the bundled trained model, and the same model with every weight dequantized to F32. */
public final class EvalModels {
    private static Path f32;

    private EvalModels() {
    }

    /** The bundled jllm-kjv model (Q8_0, real byte-level BPE tokenizer), found from the module folder. */
    public static Path bundled() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("models").resolve("jllm-kjv-q8_0.gguf");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("models/jllm-kjv-q8_0.gguf not found above " + System.getProperty("user.dir"));
    }

    /** The bundled model with F32 weights (so GEMV and GEMM round alike), written once into {@code dir}. */
    public static synchronized Path bundledF32(Path dir) throws IOException {
        if (f32 == null || !Files.exists(f32)) {
            Path out = dir.resolve("kjv-f32.gguf");
            GgufQuantizer.quantize(bundled(), out, LlamaFileType.ALL_F32, true, null);
            f32 = out;
        }
        return f32;
    }
}
