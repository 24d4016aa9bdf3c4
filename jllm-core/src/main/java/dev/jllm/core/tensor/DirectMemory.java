package dev.jllm.core.tensor;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JVM's budget for memory allocated off the heap ({@code Arena.allocate} counts against
 * {@code -XX:MaxDirectMemorySize}, which defaults to the maximum heap size).
 */
public final class DirectMemory {
    private DirectMemory() {
    }

    /** The limit on direct memory in bytes: {@code -XX:MaxDirectMemorySize}, or the maximum heap if unset. */
    public static long limit() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            long set = Long.parseLong(vm.getVMOption("MaxDirectMemorySize").getValue());
            return set > 0 ? set : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) { // another VM, or no management beans: assume the default
            return Runtime.getRuntime().maxMemory();
        }
    }

    /** Bytes of direct memory still free to allocate: {@link #limit()} less what is in use. */
    public static long available() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                used = pool.getMemoryUsed();
            }
        }
        return Math.max(0, limit() - used);
    }
}
