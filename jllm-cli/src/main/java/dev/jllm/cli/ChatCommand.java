package dev.jllm.cli;

import dev.jllm.core.parallel.WorkerPool;
import dev.jllm.formats.template.ChatTemplate;
import dev.jllm.formats.template.TemplateException;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.model.load.LoadedModel;
import dev.jllm.runtime.ContextOverflowException;
import dev.jllm.runtime.Generator;
import dev.jllm.runtime.schedule.Scheduler;
import dev.jllm.runtime.schedule.SequenceResult;
import dev.jllm.runtime.chat.ChatSession;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jllm chat}: a conversation through the model's own chat template. On a terminal it prompts and
 * Ctrl-C stops the current answer; otherwise it reads one user turn per line of stdin.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model through its chat template. Commands: /reset, /exit. Ctrl-C stops an answer.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message that starts the conversation.")
    String system;

    @Option(names = "--template", paramLabel = "FILE.jinja", description = "Use this chat template instead of the model's.")
    Path templateFile;

    @Option(names = "--stats", description = "Print tokens/s after each answer (on stderr).")
    boolean stats;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LoadedModel loaded = model.open(); WorkerPool pool = new WorkerPool(model.threadCount());
                Scheduler scheduler = model.scheduler(loaded, pool, 1, 1)) {
            Tokenizer tokenizer = loaded.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                    loaded.source() + " has no tokenizer, so it cannot chat"));
            ChatTemplate template = template(loaded, templateFile, err);
            long seed = sampling.seedValue();
            ChatSession session = new ChatSession(scheduler, tokenizer, template, loaded.endIds(), system);
            boolean interactive = System.console() != null && System.console().isTerminal();
            AtomicBoolean answering = new AtomicBoolean();
            if (interactive) {
                InterruptHandler.install(() -> {
                    if (answering.get()) {
                        session.cancel();
                    } else {
                        out.println();
                        out.flush();
                        Runtime.getRuntime().halt(130);
                    }
                });
                err.println("jllm: chatting with " + loaded.source().getFileName() + "; /reset starts over, /exit "
                        + "quits, Ctrl-C stops an answer");
                err.flush();
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            int turn = 0;
            while (true) {
                if (interactive) {
                    out.print("> ");
                    out.flush();
                }
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) {
                    break;
                }
                if (line.strip().equals("/reset")) {
                    session.reset();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                answering.set(true);
                SequenceResult r;
                try {
                    r = session.send(line, sampling.params(seed + turn++), sampling.stops, sampling.maxTokens,
                            piece -> {
                                out.print(piece);
                                out.flush();
                            });
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (ContextOverflowException e) {
                    throw new IllegalArgumentException("the conversation no longer fits the context of "
                            + e.context() + " tokens; /reset it or raise --ctx");
                } catch (TemplateException e) {
                    throw new IllegalArgumentException("chat template: " + e.getMessage());
                } finally {
                    answering.set(false);
                }
                out.println();
                out.flush();
                if (stats) {
                    Generator.Timings t = r.timings();
                    err.printf(Locale.ROOT, "jllm: %d new prompt tokens at %.1f tokens/s, %d generated at %.1f "
                            + "tokens/s%n", t.prefillTokens(), t.prefillTokensPerSecond(), r.tokens().length,
                            t.decodeTokensPerSecond());
                    err.flush();
                }
            }
        }
        return 0;
    }

    /**
     * The template chat and serve use: {@code templateFile} when given, else the model's own, else ChatML
     * (with a note on stderr).
     */
    static ChatTemplate template(LoadedModel loaded, Path templateFile, PrintWriter err) throws IOException {
        String source;
        if (templateFile != null) {
            source = Files.readString(templateFile);
        } else if (loaded.chatTemplate().isPresent()) {
            source = loaded.chatTemplate().get();
        } else {
            err.println("jllm: " + loaded.source().getFileName() + " has no chat template; using ChatML");
            err.flush();
            source = ChatSession.CHATML;
        }
        try {
            return ChatTemplate.parse(source);
        } catch (TemplateException e) {
            throw new IllegalArgumentException("chat template of " + (templateFile != null ? templateFile
                    : loaded.source()) + ": " + e.getMessage());
        }
    }
}
