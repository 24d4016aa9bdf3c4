package dev.jllm.core.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class HugePagesTest {
    @Test
    void largeAllocationsAreZeroedWritableAndAlignedToAHugePage() {
        long bytes = 5 * HugePages.SIZE + 12_345; // not a multiple of a page: the tail stays on small pages
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = HugePages.allocate(arena, bytes);
            assertEquals(bytes, m.byteSize());
            if (HugePages.available()) {
                assertEquals(0, m.address() % HugePages.SIZE, "start of the mapping");
            }
            assertEquals(0, m.address() % 64);
            for (long i = 0; i < bytes; i += 4093) {
                assertEquals(0, m.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
            m.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
            m.set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
            assertEquals(7, m.get(ValueLayout.JAVA_BYTE, bytes - 1));
            assertEquals(9, m.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void closingTheArenaReleasesTheMapping() {
        Arena arena = Arena.ofConfined();
        MemorySegment m = HugePages.allocate(arena, 3 * HugePages.SIZE);
        arena.close();
        assertThrows(IllegalStateException.class, () -> m.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void smallAllocationsComeFromTheArena() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = HugePages.allocate(arena, 1000);
            assertEquals(1000, m.byteSize());
            assertTrue(m.address() % 64 == 0);
        }
    }

    @Test
    void negativeSizesAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> HugePages.allocate(Arena.ofAuto(), -1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }
}
