package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.t5.LoadedT5;
import dev.jllm.model.t5.T5Model;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.seq2seq.Seq2SeqGenerator;
import dev.jllm.runtime.stop.StopTokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code jllm generate} on an encoder-decoder (T5) model: the prompt is the encoder's input, the output is
 * what the decoder generates from it, streamed like a decoder model's completion. {@code --ctx} bounds the
 * decoder's length; {@code --no-bos} leaves out the special tokens the tokenizer adds (T5's EOS). The input
 * is encoded in one pass whatever its length (T5's positions are relative), so {@code --truncate} and
 * {@code --prefill-chunk} do not apply.
 */
final class Seq2SeqGenerate {
    private Seq2SeqGenerate() {
    }

    /** Whether {@code generate} should run {@code path} here rather than as a decoder-only model. */
    static boolean handles(Path path) {
        return path != null && LoadedT5.isT5(path);
    }

    static int run(GenerateCommand c, PrintWriter out, PrintWriter err) throws IOException {
        try (LoadedT5 loaded = LoadedT5.open(c.model.model); WorkerPool pool = new WorkerPool(c.model.threadCount())) {
            Tokenizer tokenizer = loaded.tokenizer().orElse(null);
            if (tokenizer == null && (c.prompt.text != null || !c.printIds)) {
                throw new IllegalArgumentException(loaded.source() + " has no tokenizer: give the input with "
                        + "--prompt-ids and print ids with --ids");
            }
            int[] ids = c.prompt.ids != null ? c.prompt.ids : tokenizer.encode(c.prompt.text, !c.noBos);
            if (ids.length == 0) {
                throw new IllegalArgumentException("the prompt is empty");
            }
            int length = c.model.context == null ? loaded.config().contextLength() : c.model.context;
            if (length < 1) {
                throw new IllegalArgumentException("--ctx must be positive, got " + length);
            }
            long seed = c.sampling.seedValue();
            boolean[] first = {true};
            Seq2SeqGenerator generator = new Seq2SeqGenerator(new T5Model(loaded.config(), loaded.weights(), pool),
                    c.model.cacheDType(), length);
            Seq2SeqGenerator.Result r = generator.generate(ids, c.sampling.params(seed), StopTokens.of(loaded.endIds()),
                    c.sampling.stops, c.sampling.maxTokens, tokenizer, new Seq2SeqGenerator.Listener() {
                        @Override
                        public void text(String piece) {
                            if (!c.printIds) {
                                out.print(piece);
                                out.flush();
                            }
                        }

                        @Override
                        public void token(int id) {
                            if (c.printIds) {
                                out.print(first[0] ? Integer.toString(id) : " " + id);
                                first[0] = false;
                                out.flush();
                            }
                        }
                    });
            out.println();
            out.flush();
            if (!c.quiet) {
                Generator.Timings t = r.timings();
                err.printf(Locale.ROOT, "jllm: %d input tokens encoded at %.1f tokens/s, %d generated at %.1f tokens/s, "
                        + "finish %s, seed %d, peak RSS %.0f MB%n", t.prefillTokens(), t.prefillTokensPerSecond(),
                        r.tokens().length, t.decodeTokensPerSecond(), r.finishReason().openAiName(), seed,
                        ProcessMemory.peakRssBytes() / (1024.0 * 1024.0));
                err.flush();
            }
        }
        return 0;
    }
}
