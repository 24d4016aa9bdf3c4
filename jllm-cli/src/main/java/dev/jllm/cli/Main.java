package dev.jllm.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code jllm} command line: parses arguments, runs one subcommand, and turns any failure
 * into one line on stderr and a non-zero exit (a stack trace only with {@code --verbose}).
 */
@Command(
        name = "jllm",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A pure-Java toolkit for large language models: run, serve, train, fine-tune, evaluate.",
        subcommands = {
            InspectCommand.class, TokenizeCommand.class, DetokenizeCommand.class,
            InitCommand.class, QuantizeCommand.class, ConvertCommand.class,
            EmbedCommand.class,
            GenerateCommand.class, ChatCommand.class, ServeCommand.class, ChatTemplateCommand.class, BenchCommand.class,
            BenchServeCommand.class,
            BenchKernelsCommand.class, BenchTokenizerCommand.class,
            TokenizerCommand.class, DataCommand.class, TrainCommand.class, ExportCommand.class, EvalCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @Option(names = "--verbose", description = "Print stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Entry point; exits the JVM with the command's status. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line {@code args}, writing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (verboseRequested(parseResult)) {
                ex.printStackTrace(err);
            } else {
                err.println("jllm: " + UserErrors.describe(ex));
            }
            err.flush();
            return UserErrors.exitCode(ex);
        });
        cli.setParameterExceptionHandler((ex, a) -> {
            err.println("jllm: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return 2;
        });
        return cli.execute(args);
    }

    // --verbose is inherited: it may have been given to the command or to any subcommand
    private static boolean verboseRequested(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** Prints the version and the SIMD width the Vector API chose on this machine. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = "unknown";
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    v = p.getProperty("version", v);
                }
            } catch (java.io.IOException ignored) {
                // the version stays "unknown"
            }
            int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            return new String[] {
                "jllm " + v,
                "SIMD: " + bits + "-bit vectors (" + FloatVector.SPECIES_PREFERRED.length() + " floats), Java "
                        + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " processors"
            };
        }
    }
}
