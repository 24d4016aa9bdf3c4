package dev.jllm.formats.onnx;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jllm.formats.FormatException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of real ONNX bytes either parse and map (or are refused by the graph walk) or fail with a
 * FormatException; nothing else escapes. The all-MiniLM-L6-v2 export is mutated in place (and restored) only outside
 * its large weight payloads, where a change cannot alter the structure; the hand-made tiny encoder is mutated
 * anywhere. Cases: {@code -Djllm.fuzz.cases} (default 300 of the real file, ten times as many of the small one).
 */
class OnnxFuzzTest {
    private static final int[] INTERESTING = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x08, 0x0A, 0x12, 0x1A, 0x22, 0x3A, 0x4A};

    @Test
    void mutatedRealExportParsesOrFailsWithFormatException() throws IOException {
        long seed = Long.getLong("jllm.fuzz.seed", 20261128L);
        int cases = Integer.getInteger("jllm.fuzz.cases", 300);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment original;
            try (FileChannel ch = FileChannel.open(MiniLmExport.onnx(), StandardOpenOption.READ)) {
                original = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            MemorySegment bytes = arena.allocate(original.byteSize(), 8);
            bytes.copyFrom(original);
            long[] structure = structure(bytes);
            run("minilm", bytes, structure, cases, seed);
        }
    }

    @Test
    void mutatedTinyEncoderParsesOrFailsWithFormatException() {
        long seed = Long.getLong("jllm.fuzz.seed", 20261128L) + 1;
        int cases = 10 * Integer.getInteger("jllm.fuzz.cases", 300);
        byte[] b = new TinyBertGraph().build();
        MemorySegment bytes = MemorySegment.ofArray(b);
        run("tiny", bytes, new long[] {0, b.length}, cases, seed);
    }

    private static void run(String what, MemorySegment bytes, long[] structure, int cases, long seed) {
        Path name = Path.of(what + "-fuzz.onnx");
        long span = 0;
        for (int i = 0; i < structure.length; i += 2) {
            span += structure[i + 1] - structure[i];
        }
        long total = span;
        int[] outcome = new int[3];
        long[] slowest = new long[2];
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom r = new SplittableRandom(seed);
            for (int c = 0; c < cases; c++) {
                int edits = 1 + (r.nextInt(4) == 0 ? r.nextInt(6) : 0);
                long[] at = new long[edits];
                byte[] was = new byte[edits];
                for (int k = 0; k < edits; k++) {
                    at[k] = position(structure, r.nextLong(total));
                    was[k] = bytes.get(ValueLayout.JAVA_BYTE, at[k]);
                    int kind = r.nextInt(3);
                    byte v = switch (kind) {
                        case 0 -> (byte) (was[k] ^ (1 << r.nextInt(8)));
                        case 1 -> (byte) INTERESTING[r.nextInt(INTERESTING.length)];
                        default -> (byte) r.nextInt(256);
                    };
                    bytes.set(ValueLayout.JAVA_BYTE, at[k], v);
                }
                long caseStart = System.nanoTime();
                long length = r.nextInt(8) == 0 ? position(structure, r.nextLong(total)) : bytes.byteSize();
                try (OnnxModel m = OnnxModel.from(bytes.asSlice(0, length), name)) {
                    outcome[0]++;
                    BertGraphWalk.plan(m);
                    outcome[1]++;
                } catch (FormatException expected) {
                    outcome[2]++;
                } catch (Throwable t) {
                    fail(what + " seed " + seed + ", case " + c + ": " + t, t);
                } finally {
                    long took = System.nanoTime() - caseStart;
                    if (took > slowest[0]) {
                        slowest[0] = took;
                        slowest[1] = c;
                    }
                    for (int k = edits - 1; k >= 0; k--) {
                        bytes.set(ValueLayout.JAVA_BYTE, at[k], was[k]);
                    }
                }
            }
        }, () -> what + " seed " + seed + ": timed out");
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("onnx fuzz (%s): %d cases in %.2f s: %d parsed, %d of them mapped to BERT, %d refused; "
                + "slowest case %d: %.1f ms%n", what, cases, s, outcome[0], outcome[1], outcome[2], slowest[1], slowest[0] / 1e6);
    }

    // the byte ranges outside the initializers' large raw_data payloads, as [from, to) pairs
    private static long[] structure(MemorySegment bytes) throws FormatException {
        List<long[]> payloads = new ArrayList<>();
        try (OnnxModel m = OnnxModel.from(bytes, Path.of("minilm.onnx"))) {
            for (OnnxTensor t : m.graph().initializers().values()) {
                if (t.data() != null && t.data().byteSize() > 64 && t.data().isNative()) {
                    long from = t.data().address() - bytes.address();
                    payloads.add(new long[] {from, from + t.data().byteSize()});
                }
            }
        }
        payloads.sort((a, b) -> Long.compare(a[0], b[0]));
        List<Long> ranges = new ArrayList<>();
        long pos = 0;
        for (long[] p : payloads) {
            ranges.add(pos);
            ranges.add(p[0]);
            pos = p[1];
        }
        ranges.add(pos);
        ranges.add(bytes.byteSize());
        return ranges.stream().mapToLong(Long::longValue).toArray();
    }

    // the offset of the n-th structural byte
    private static long position(long[] structure, long n) {
        for (int i = 0; i < structure.length; i += 2) {
            long len = structure[i + 1] - structure[i];
            if (n < len) {
                return structure[i] + n;
            }
            n -= len;
        }
        return structure[structure.length - 1] - 1;
    }
}
