package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainTest {


    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    @Test
    void versionNamesTheSimdWidth() {
        CommandRun r = run("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("jllm "), r.out());
        assertTrue(r.out().matches("(?s).*SIMD: \\d+-bit vectors \\(\\d+ floats\\).*"), r.out());
    }

    @Test
    void helpListsTheCommands() {
        CommandRun r = run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("bench-kernels"), r.out());
    }

    @Test
    void unknownOptionIsOneLineAndExitCodeTwo() {
        CommandRun r = run("--no-such-option");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("jllm: Unknown option: '--no-such-option'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void verboseAddsTheStackTraceOnlyWhenGivenAsAnOption() {
        CommandRun plain = run("inspect", "/no/such/file.gguf");
        assertEquals(1, plain.exit());
        assertFalse(plain.err().contains("\tat "), plain.err());
        CommandRun verbose = run("inspect", "--verbose", "/no/such/file.gguf");
        assertEquals(1, verbose.exit());
        assertTrue(verbose.err().contains("\tat "), verbose.err());
        // after "--" it is text to tokenize, not an option
        CommandRun text = run("detokenize", "-m", "/no/such/tokenizer.json", "--", "--verbose");
        assertFalse(text.err().contains("\tat "), text.err());
    }

    @Test
    void userErrorsNameTheCauseWithoutStackTrace() {
        assertEquals("no such file: /x/y.gguf",
                UserErrors.describe(new java.nio.file.NoSuchFileException("/x/y.gguf")));
        assertEquals(1, UserErrors.exitCode(new IllegalArgumentException("bad")));
        assertEquals(3, UserErrors.exitCode(new NullPointerException()));
        assertTrue(UserErrors.describe(new NullPointerException()).contains("--verbose"));
    }
}
