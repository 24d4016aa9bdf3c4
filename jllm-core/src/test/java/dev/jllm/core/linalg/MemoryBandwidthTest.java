package dev.jllm.core.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jllm.core.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class MemoryBandwidthTest {

    @Test
    void warmUpRunsThePassesAcrossThePool() {
        try (WorkerPool pool = new WorkerPool(3)) {
            // 400 reads of 65,536 floats and 16 to 256 more (25 rounds of 1 to 16 lines), each 0x3F3F3F3F
            double floats = 400 * 65_536 + 25 * 16 * (16 * 17 / 2);
            double expected = floats * Float.intBitsToFloat(0x3F3F3F3F);
            assertEquals(expected, MemoryBandwidth.warmUp(pool), 1e-3 * expected);
        }
    }

    @Test
    void readSumsEveryFloatAndTriadWritesEveryFloat() {
        try (Arena arena = Arena.ofShared()) {
            for (int threads : new int[] {1, 3}) {
                try (WorkerPool pool = new WorkerPool(threads)) {
                    for (int floats : new int[] {1, 15, 16, 1000, 4099, 100_003}) {
                        MemorySegment a = arena.allocate(4L * floats, 64);
                        MemorySegment b = arena.allocate(4L * floats, 64);
                        MemorySegment c = arena.allocate(4L * floats, 64);
                        for (int i = 0; i < floats; i++) {
                            b.setAtIndex(TestKernels.F32, i, i % 7);
                            c.setAtIndex(TestKernels.F32, i, 1 + i % 3);
                        }
                        double expected = 0;
                        for (int i = 0; i < floats; i++) {
                            expected += i % 7;
                        }
                        for (int streams : new int[] {1, 3, 8}) {
                            assertEquals(expected, MemoryBandwidth.read(pool, b, streams), 1e-3 * expected + 1e-6,
                                    "floats=" + floats + " threads=" + threads + " streams=" + streams);
                        }
                        MemoryBandwidth.triad(pool, a, b, c, 2f);
                        for (int i = 0; i < floats; i++) {
                            assertEquals(i % 7 + 2f * (1 + i % 3), a.getAtIndex(TestKernels.F32, i), "at " + i);
                        }
                    }
                }
            }
        }
    }
}
