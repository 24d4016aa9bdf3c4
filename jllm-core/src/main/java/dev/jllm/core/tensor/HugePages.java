package dev.jllm.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroed native memory backed by 2 MiB pages where Linux gives them: an anonymous mapping aligned to 2 MiB and
 * marked {@code MADV_HUGEPAGE}, so that transparent huge pages back it even when the system's setting is
 * {@code madvise}. A single-token product streams a weight copy once per token; with 4 KiB pages a 138 MB copy
 * spans 34,000 pages, far beyond the TLB's reach, and the hardware prefetchers stop at every 4 KiB boundary.
 *
 * <p>Where the mapping cannot be made (another OS, native access not enabled for this module, {@code mmap} failing)
 * the memory comes from the arena as before: huge pages are a speed-up, never a requirement. Only the
 * whole 2 MiB pages inside the mapping are marked, so a size that is not a multiple of 2 MiB costs no extra resident
 * memory.
 */
public final class HugePages {
    /** The size of a huge page on x86-64 and most aarch64 Linux kernels. */
    public static final long SIZE = 2L << 20;
    private static final long SMALL_PAGE = 4096;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final boolean DISABLED = Boolean.getBoolean("jllm.hugePages.off");
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        if (!DISABLED && System.getProperty("os.name", "").startsWith("Linux")
                && HugePages.class.getModule().isNativeAccessEnabled()) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) { // no libc symbols here: plain memory
                mmap = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private HugePages() {
    }

    /** Whether {@link #allocate} maps memory itself (Linux, native access enabled) rather than using an arena. */
    public static boolean available() {
        return MMAP != null;
    }

    /**
     * {@code bytes} of zeroed memory aligned to 64 bytes, freed when {@code arena} closes (or, for an automatic arena,
     * when the segment becomes unreachable). Sizes of at least {@link #SIZE} start on a 2 MiB boundary with their
     * whole huge pages marked for the kernel. Mapped memory does not count against {@code -XX:MaxDirectMemorySize}.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        }
        if (MMAP == null || bytes < SIZE) {
            return arena.allocate(bytes, 64);
        }
        long length = (bytes + SMALL_PAGE - 1) / SMALL_PAGE * SMALL_PAGE;
        try {
            // map a huge page more than needed, then unmap the unaligned head and the tail beyond the length
            long mapped = length + SIZE;
            MemorySegment raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, mapped, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            long base = raw.address();
            if (base == -1L || base == 0L) {
                return arena.allocate(bytes, 64);
            }
            long start = (base + SIZE - 1) / SIZE * SIZE;
            if (start > base) {
                unmap(base, start - base);
            }
            long end = base + mapped;
            if (end > start + length) {
                unmap(start + length, end - start - length);
            }
            // a refusal (-1) only leaves the mapping on small pages
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), length / SIZE * SIZE,
                    MADV_HUGEPAGE);
            return MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(start, length));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap of " + bytes + " bytes failed", t);
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap of " + length + " bytes failed", t);
        }
    }
}
