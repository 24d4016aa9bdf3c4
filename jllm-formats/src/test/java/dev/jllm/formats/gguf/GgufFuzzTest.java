package dev.jllm.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.ByteMutator;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated GGUF files either open (and every tensor's bytes can be read) or fail with a
 * FormatException: never another exception, an OutOfMemoryError or a hang. The seed and case
 * count can be set with {@code -Djllm.fuzz.seed} and {@code -Djllm.fuzz.cases}.
 */
class GgufFuzzTest {
    @Test
    void mutatedFilesOpenOrFailWithFormatException(@TempDir Path dir) throws IOException {
        long seed = Long.getLong("jllm.fuzz.seed", 20261128L);
        int cases = Integer.getInteger("jllm.fuzz.cases", 100_000);
        byte[] original = sample(dir);
        Path name = Path.of("fuzz.gguf");
        long[] progress = new long[2];
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom r = new SplittableRandom(seed);
            for (int c = 0; c < cases; c++) {
                progress[0] = c;
                byte[] b = ByteMutator.mutate(original, r, false);
                try (GgufFile g = GgufFile.from(MemorySegment.ofArray(b), name)) {
                    progress[1]++;
                    touch(g);
                } catch (FormatException expected) {
                    // a rejected file is the other allowed outcome
                } catch (Throwable t) {
                    fail("seed " + seed + ", case " + c + ": " + t, t);
                }
            }
        }, () -> "seed " + seed + ": timed out at case " + progress[0]);
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("GGUF fuzz: %d cases (%d opened) in %.2f s, %.0f cases/s%n", cases, progress[1], s, cases / s);
    }

    private static long touch(GgufFile g) {
        long sum = g.metadata().size();
        for (GgufTensorInfo t : g.tensors()) {
            Tensor v = g.tensor(t.name());
            MemorySegment d = v.data();
            for (long i = 0; i < d.byteSize(); i++) {
                sum += d.get(ValueLayout.JAVA_BYTE, i);
            }
        }
        return sum;
    }

    /** A small file with every value type, nested and empty arrays, and three tensors. */
    static byte[] sample(Path dir) throws IOException {
        Path f = dir.resolve("sample.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUint32("llama.context_length", 128)
                .put("u8", GgufValue.of(GgufValueType.UINT8, 7))
                .put("i8", GgufValue.of(GgufValueType.INT8, -7))
                .put("u16", GgufValue.of(GgufValueType.UINT16, 700))
                .put("i16", GgufValue.of(GgufValueType.INT16, -700))
                .putInt32("i32", -70000)
                .putFloat32("f32", 0.5f)
                .putBool("b", true)
                .putUint64("u64", 1L << 40)
                .putInt64("i64", -1L)
                .putFloat64("f64", 0.25)
                .putUint32("general.alignment", 32)
                .putArray("tokens", GgufValueType.STRING, List.of("a", "bc", "☃"))
                .putArray("nested", GgufValueType.ARRAY, List.of(GgufValue.array(GgufValueType.UINT8, List.of(1, 2)),
                        GgufValue.array(GgufValueType.STRING, List.of())))
                .putArray("empty", GgufValueType.INT32, List.of())
                .addTensor("f", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
                .addTensor("q", DType.Q8_0, new long[] {1, 32}, MemorySegment.ofArray(new byte[DType.Q8_0.blockBytes()]))
                .addTensor("h", DType.F16, new long[] {5}, MemorySegment.ofArray(new byte[10]))
                .write(f);
        return Files.readAllBytes(f);
    }
}
