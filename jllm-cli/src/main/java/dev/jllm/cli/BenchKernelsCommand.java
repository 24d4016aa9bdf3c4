package dev.jllm.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the kernel benchmark lands. */
@Command(name = "bench-kernels", description = "GEMV throughput of every weight type beside measured memory bandwidth.")
final class BenchKernelsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("bench-kernels is not implemented yet");
    }
}
