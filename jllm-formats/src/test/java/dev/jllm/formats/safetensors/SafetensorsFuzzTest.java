package dev.jllm.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jllm.core.tensor.Tensor;
import dev.jllm.formats.FormatException;
import dev.jllm.formats.io.ByteMutator;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated safetensors files either open (and every tensor's bytes can be read) or fail with a
 * FormatException. Half the cases mutate the whole file; the other half mutate only the JSON
 * header and fix the length prefix, so that the mutations reach the header's validation.
 */
class SafetensorsFuzzTest {
    @Test
    void mutatedFilesOpenOrFailWithFormatException(@TempDir Path dir) throws IOException {
        long seed = Long.getLong("jllm.fuzz.seed", 20261128L);
        int cases = Integer.getInteger("jllm.fuzz.cases", 100_000);
        byte[] original = sample(dir);
        int headerLength = (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] header = Arrays.copyOfRange(original, 8, 8 + headerLength);
        byte[] data = Arrays.copyOfRange(original, 8 + headerLength, original.length);
        Path name = Path.of("fuzz.safetensors");
        long[] progress = new long[2];
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom r = new SplittableRandom(seed);
            for (int c = 0; c < cases; c++) {
                progress[0] = c;
                byte[] b = r.nextBoolean() ? ByteMutator.mutate(original, r, false)
                        : withHeader(ByteMutator.mutate(header, r, true), data);
                try (SafetensorsFile s = SafetensorsFile.from(MemorySegment.ofArray(b), name)) {
                    progress[1]++;
                    touch(s);
                } catch (FormatException expected) {
                    // a rejected file is the other allowed outcome
                } catch (Throwable t) {
                    fail("seed " + seed + ", case " + c + ": " + t, t);
                }
            }
        }, () -> "seed " + seed + ": timed out at case " + progress[0]);
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("safetensors fuzz: %d cases (%d opened) in %.2f s, %.0f cases/s%n", cases, progress[1], s, cases / s);
    }

    private static byte[] withHeader(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(header.length).put(header).put(data).array();
    }

    private static long touch(SafetensorsFile s) {
        long sum = s.metadata().size();
        for (SafetensorsTensorInfo t : s.tensors()) {
            MemorySegment d = s.bytes(t.name());
            if (t.dtype().coreType() != null) {
                Tensor v = s.tensor(t.name());
                sum += v.elements();
            }
            for (long i = 0; i < d.byteSize(); i++) {
                sum += d.get(ValueLayout.JAVA_BYTE, i);
            }
        }
        return sum;
    }

    static byte[] sample(Path dir) throws IOException {
        Path f = dir.resolve("sample.safetensors");
        new SafetensorsWriter()
                .putMetadata("format", "pt")
                .addTensor("a.weight", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
                .addTensor("b", SafetensorsDType.BF16, new long[] {3}, MemorySegment.ofArray(new byte[6]))
                .addTensor("c", SafetensorsDType.I64, new long[] {1, 1}, MemorySegment.ofArray(new byte[8]))
                .addTensor("d", SafetensorsDType.U8, new long[] {}, MemorySegment.ofArray(new byte[1]))
                .write(f);
        return Files.readAllBytes(f);
    }
}
