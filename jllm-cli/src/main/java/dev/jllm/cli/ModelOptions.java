package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.DirectMemory;
import dev.jllm.model.cache.KvCache;
import dev.jllm.model.decoder.Decoder;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.schedule.Scheduler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares: which model, threads, context and cache type. */
final class ModelOptions {
    /** The bundled default model, relative to the jllm folder. */
    static final String BUNDLED = "models/jllm-kjv-q8_0.gguf";

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "A GGUF file, an HF model folder, or a llama2.c checkpoint (.bin); default: the bundled "
                    + "model, " + BUNDLED + ".")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--ctx", paramLabel = "N",
            description = "Context length in tokens (default: the model's; the KV cache grows as it is used).")
    Integer context;

    @Option(names = "--cache-type", defaultValue = "f16", paramLabel = "TYPE",
            description = "KV cache element type: f32, f16 or q8_0 (default: ${DEFAULT-VALUE}).")
    String cacheType;

    @Option(names = "--prefill-chunk", defaultValue = "256", paramLabel = "N",
            description = "Prompt tokens per forward pass (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Option(names = "--repack", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Copy Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K weights into 16-row interleaved blocks as the "
                    + "model loads and run every product of them from the copy (one token through an integer kernel, "
                    + "more through interleaved float kernels or the packed GEMM): faster decoding and prompts, the "
                    + "same bytes as the weights held in memory instead of mapped, and a few seconds more to load. On "
                    + "by default; "
                    + "--no-repack keeps the weights mapped in place.")
    boolean repack;

    /** The worker count, checked. */
    int threadCount() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1 || n > 1024) {
            throw new IllegalArgumentException("--threads must be in 1..1024, got " + n);
        }
        return n;
    }

    /** The cache type, checked. */
    DType cacheDType() {
        DType type;
        try {
            type = DType.valueOf(cacheType.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || !KvCache.TYPES.contains(type)) {
            throw new IllegalArgumentException("--cache-type must be f32, f16 or q8_0, got '" + cacheType + "'");
        }
        return type;
    }

    /** Opens the model: the one given, else the bundled one. */
    LoadedModel open() throws IOException {
        return LoadedModel.open(model != null ? model : bundled());
    }

    /** Where the bundled model is: under {@code jllm.home} (the launcher sets it), else the working folder. */
    static Path bundled() throws IOException {
        String home = System.getProperty("jllm.home");
        Path p = (home != null ? Path.of(home) : Path.of("")).resolve(BUNDLED);
        if (!java.nio.file.Files.isRegularFile(p)) {
            throw new java.nio.file.NoSuchFileException(p.toString(), null,
                    "no -m given and the bundled model is missing (models/recipe.sh makes it)");
        }
        return p;
    }

    /**
     * Whether to repack the model's quantized matrices: asked for, and the copies fit the direct memory the JVM has left.
     * When they do not, says so on stderr and runs the weights in place.
     */
    boolean repack(LoadedModel loaded) {
        if (!repack) {
            return false;
        }
        long need = Decoder.interleavedBytes(loaded.weights());
        long left = DirectMemory.available();
        if (need > left) {
            System.err.println("jllm: not repacking: the interleaved copies need " + (need >> 20) + " MiB, more "
                    + "than the " + (left >> 20) + " MiB of direct memory left (raise -XX:MaxDirectMemorySize)");
            return false;
        }
        return need > 0;
    }

    /** A scheduler of {@code parallel} slots over the model, with this command's cache type, context and chunk. */
    Scheduler scheduler(LoadedModel loaded, WorkerPool pool, int parallel, int queue) {
        int ctx = contextLength(loaded);
        return new Scheduler(new Decoder(loaded.config(), loaded.weights(), pool, repack(loaded)),
                loaded.tokenizer().orElse(null),
                new Scheduler.Options(cacheDType(), ctx, parallel, queue, prefillChunk));
    }

    /** A generator over an opened model. */
    Generator generator(LoadedModel loaded, WorkerPool pool) {
        return new Generator(new Decoder(loaded.config(), loaded.weights(), pool, repack(loaded)), cacheDType(),
                contextLength(loaded),
                prefillChunk);
    }

    private int contextLength(LoadedModel loaded) {
        int max = loaded.config().contextLength();
        int ctx = context == null ? max : context;
        if (ctx < 1 || ctx > max) {
            throw new IllegalArgumentException("--ctx must be in 1.." + max + " (the model's context length), got "
                    + ctx);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("--prefill-chunk must be positive, got " + prefillChunk);
        }
        return ctx;
    }
}
