package dev.jllm.formats.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jllm.core.quant.WeightKernels;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.gguf.GgufFile;
import dev.jllm.formats.gguf.GgufTensorInfo;
import dev.jllm.formats.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GgufQuantizerTest {
    @TempDir
    Path dir;
    private Path source;
    private final Map<String, float[]> original = new HashMap<>();

    @BeforeEach
    void writeSource() throws IOException {
        source = dir.resolve("src.gguf");
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama").putUint32("llama.block_count", 1)
                .putString("general.name", "test model").putUint32("general.file_type", 0);
        add(w, "token_embd.weight", 48, 256, 1);
        add(w, "blk.0.attn_norm.weight", 1, 256, 2);
        add(w, "blk.0.attn_v.weight", 64, 256, 3);
        add(w, "blk.0.ffn_down.weight", 256, 512, 4);
        add(w, "output.weight", 48, 256, 5);
        w.write(source);
    }

    private void add(GgufWriter w, String name, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.5 + (i % 7 == 0 ? 0.3 : 0));
        }
        original.put(name, v);
        w.addTensor(name, rows == 1 ? Tensor.ofFloats(v, cols) : Tensor.ofFloats(v, rows, cols));
    }

    private static float[] dequantize(GgufFile g, GgufTensorInfo t) {
        float[] out = new float[(int) t.elements()];
        WeightKernels.reference(t.type()).dequantize(g.tensorBytes(t), 0, out, 0, out.length);
        return out;
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, Q8_0, 0.008", "Q4_0, Q4_0, 0.12", "Q4_1, Q4_1, 0.11", "Q5_0, Q5_0, 0.06", "Q5_1, Q5_1, 0.053",
        "Q4_K, Q4_K, 0.1", "Q5_K, Q5_K, 0.05", "Q6_K, Q6_K, 0.025", "F16, F16, 0.0004", "BF16, BF16, 0.003"})
    void pureQuantizationStaysWithinTheTypesError(String name, DType type, double bound) throws IOException {
        Path out = dir.resolve(name + ".gguf");
        LlamaFileType ft = LlamaFileType.parse(name);
        GgufQuantizer.quantize(source, out, ft, true, null);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(ft.id(), g.getLong("general.file_type"));
            assertEquals("test model", g.getString("general.name"));
            assertEquals(1, g.getLong("llama.block_count"));
            assertEquals(5, g.tensors().size());
            for (GgufTensorInfo t : g.tensors()) {
                boolean norm = t.name().contains("norm");
                assertEquals(norm ? DType.F32 : type, t.type(), t.name());
                float[] want = original.get(t.name());
                float[] got = dequantize(g, t);
                double err = 0;
                double rms = 0;
                for (int i = 0; i < want.length; i++) {
                    err += (got[i] - want[i]) * (double) (got[i] - want[i]);
                    rms += want[i] * (double) want[i];
                }
                double relative = Math.sqrt(err / rms);
                assertTrue(relative <= (norm ? 0 : bound), t.name() + " " + t.type() + ": relative RMSE " + relative);
                assertTrue(norm || relative > 0 || type == DType.F32, t.name());
                if (!norm) {
                    // the streamed, parallel conversion writes exactly what the quantizer writes for the whole tensor
                    byte[] direct = new byte[(int) t.byteSize()];
                    WeightKernels.quantizer(type).quantize(want, 0, want.length, MemorySegment.ofArray(direct), 0);
                    assertArrayEquals(direct, g.tensorBytes(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t.name());
                }
            }
        }
    }

    @Test
    void mediumRecipeChoosesPerTensorAndReQuantizesQuantizedSources() throws IOException {
        Path q8 = dir.resolve("q8.gguf");
        GgufQuantizer.quantize(source, q8, LlamaFileType.MOSTLY_Q8_0, true, null);
        Path out = dir.resolve("q4km.gguf");
        List<String> seen = new ArrayList<>();
        GgufQuantizer.quantize(q8, out, LlamaFileType.MOSTLY_Q4_K_M, false, new GgufQuantizer.Listener() {
            @Override
            public void tensor(int index, int count, String name, DType from, DType to) {
                seen.add(name + ":" + from + ">" + to);
            }

            @Override
            public void advanced(long done, long total) {
                assertTrue(done <= total);
            }
        });
        assertEquals(List.of("token_embd.weight:Q8_0>Q4_K", "blk.0.attn_norm.weight:F32>F32", "blk.0.attn_v.weight:Q8_0>Q6_K",
                "blk.0.ffn_down.weight:Q8_0>Q6_K", "output.weight:Q8_0>Q6_K"), seen);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(15, g.getLong("general.file_type"));
            assertEquals(2, g.getLong("general.quantization_version"));
            GgufTensorInfo v = g.findTensor("blk.0.attn_v.weight").orElseThrow();
            float[] got = dequantize(g, v);
            float[] want = original.get(v.name());
            double err = 0;
            for (int i = 0; i < want.length; i++) {
                err += Math.pow(got[i] - want[i], 2);
            }
            assertTrue(Math.sqrt(err / want.length) < 0.05 * 0.55, "Q8_0 then Q6_K error " + Math.sqrt(err / want.length));
        }
    }

    @Test
    void badInputsFailCleanly() throws IOException {
        Path out = dir.resolve("out.gguf");
        assertThrows(NoSuchFileException.class,
                () -> GgufQuantizer.quantize(dir.resolve("missing.gguf"), out, LlamaFileType.MOSTLY_Q8_0, false, null));
        Path text = Files.writeString(dir.resolve("notes.gguf"), "this is not a gguf file at all");
        assertThrows(FormatException.class, () -> GgufQuantizer.quantize(text, out, LlamaFileType.MOSTLY_Q8_0, false, null));
        assertFalse(Files.exists(out));
        // a row of 100 cannot hold Q4_0 blocks: nothing is written
        Path odd = dir.resolve("odd.gguf");
        new GgufWriter().addTensor("blk.0.attn_q.weight", DType.F32, new long[] {2, 100}, MemorySegment.ofArray(new float[200]))
                .write(odd);
        assertThrows(IllegalArgumentException.class, () -> GgufQuantizer.quantize(odd, out, LlamaFileType.MOSTLY_Q4_0, true, null));
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp")));
        }
    }
}
