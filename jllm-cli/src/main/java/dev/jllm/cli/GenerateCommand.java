package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.sampling.TokenLogprobs;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SequenceListener;
import dev.jllm.runtime.schedule.SequenceRequest;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.schedule.Ticket;
import dev.jllm.runtime.stop.StopTokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jllm generate}: a raw completion of a prompt, streamed to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Complete a prompt (no chat template), streaming the text to stdout; statistics go to stderr.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    SamplingOptions sampling;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompt;

    /** The prompt as text or as ids. */
    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt text.")
        String text;

        @Option(names = "--prompt-ids", split = ",", paramLabel = "ID", description = "The prompt as token ids, e.g. 1,15,30.")
        int[] ids;
    }

    @Option(names = "--ids", description = "Print the generated token ids instead of text.")
    boolean printIds;

    @Option(names = "--no-bos", description = "Do not add the BOS token the tokenizer would add.")
    boolean noBos;

    @Option(names = "--truncate", description = "Drop the start of a prompt that does not fit the context.")
    boolean truncate;

    @Option(names = "--quiet", description = "No statistics on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (Seq2SeqGenerate.handles(model.model)) {
            return Seq2SeqGenerate.run(this, out, err); // encoder-decoder (T5): its own loop, not the scheduler
        }
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(model.threadCount());
                Scheduler scheduler = model.scheduler(loaded, pool, 1, 1)) {
            Tokenizer tokenizer = loaded.tokenizer().orElse(null);
            if (tokenizer == null && (prompt.text != null || !printIds)) {
                throw new IllegalArgumentException(loaded.source() + " has no tokenizer: give the prompt with "
                        + "--prompt-ids and print ids with --ids");
            }
            int[] ids = prompt.ids != null ? prompt.ids : tokenizer.encode(prompt.text, !noBos);
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            ids = fit(ids, scheduler.options().contextLength());
            long seed = sampling.seedValue();
            boolean[] first = {true};
            SequenceResult r = await(scheduler.submit(new SequenceRequest(ids, sampling.params(seed),
                    StopTokens.of(loaded.endIds()), sampling.stops, sampling.maxTokens),
                    new SequenceListener() {
                        @Override
                        public void text(String piece) {
                            if (!printIds) {
                                out.print(piece);
                                out.flush();
                            }
                        }

                        @Override
                        public void token(int id, TokenLogprobs logprobs) {
                            if (printIds) {
                                out.print(first[0] ? Integer.toString(id) : " " + id);
                                first[0] = false;
                                out.flush();
                            }
                        }
                    }));
            out.println();
            out.flush();
            if (!quiet) {
                Generator.Timings t = r.timings();
                err.printf(Locale.ROOT, "jllm: %d prompt tokens at %.1f tokens/s, %d generated at %.1f tokens/s, "
                        + "finish %s, seed %d, peak RSS %.0f MB%n", t.prefillTokens(), t.prefillTokensPerSecond(), r.tokens().length,
                        t.decodeTokensPerSecond(), r.finishReason() == null ? "cancelled"
                                : r.finishReason().openAiName(), seed,
                        ProcessMemory.peakRssBytes() / (1024.0 * 1024.0));
                err.flush();
            }
        }
        return 0;
    }

    private static SequenceResult await(Ticket ticket) {
        try {
            return ticket.await();
        } catch (InterruptedException e) {
            ticket.cancel();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** The prompt, or its end when it is too long and --truncate was given. */
    private int[] fit(int[] ids, int context) {
        if (ids.length < context) {
            return ids;
        }
        if (!truncate) {
            throw new IllegalArgumentException("the prompt has " + ids.length + " tokens but the context holds "
                    + context + " (leaving room for at least one generated token); shorten it, raise --ctx, or "
                    + "pass --truncate");
        }
        int keep = Math.max(1, Math.min(context - 1, sampling.maxTokens > 0 ? context - sampling.maxTokens : context / 2));
        return Arrays.copyOfRange(ids, ids.length - keep, ids.length);
    }
}
