package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void versionNamesTheSimdWidth() {
        Result r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("jllm "), r.out());
        assertTrue(r.out().matches("(?s).*SIMD: \\d+-bit vectors \\(\\d+ floats\\).*"), r.out());
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("bench-kernels"), r.out());
    }

    @Test
    void unknownOptionIsOneLineAndExitCodeTwo() {
        Result r = run("--no-such-option");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("jllm: Unknown option: '--no-such-option'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
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
