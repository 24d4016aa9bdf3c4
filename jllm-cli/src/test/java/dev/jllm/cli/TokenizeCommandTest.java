package dev.jllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
    private static final String LLAMA3 = SharedFixturePaths.resolve("tokenizers/hf/llama-3/tiktoken.model").toString();
    private static final String GPT2 = SharedFixturePaths.resolve("tokenizers/hf/gpt2_tokenizer.json").toString();
    private static final String SPM = SharedFixturePaths.resolve("tokenizers/llamacpp-vocab/ggml-vocab-llama-spm.gguf")
            .toString();
    private static final String BERT = SharedFixturePaths.resolve("tokenizers/hf/bert-vocab.txt").toString();

    @TempDir
    Path dir;

    @Test
    void printsIdsAndEscapedPiecesOfTiktoken() {
        CommandRun r = CommandRun.of("tokenize", "-m", LLAMA3, "Hello", "world<|eot_id|>");
        assertEquals(0, r.exit(), r.err());
        assertEquals("9906\tHello\n1917\t\\sworld\n128009\t<|eot_id|>\n", r.out());
    }

    @Test
    void idsOnlyWithAndWithoutSpecialTokens() {
        assertEquals("9906 1917\n", CommandRun.of("tokenize", "-m", LLAMA3, "--ids", "Hello world").out());
        assertEquals("128000 9906 1917\n",
                CommandRun.of("tokenize", "-m", LLAMA3, "--ids", "--add-special", "Hello world").out());
        assertEquals("15496 995\n", CommandRun.of("tokenize", "-m", GPT2, "--ids", "Hello world").out());
        assertEquals("101 7592 2088 102\n",
                CommandRun.of("tokenize", "-m", BERT, "--ids", "--add-special", "Hello world").out());
    }

    @Test
    void noParseSpecialEncodesSpecialTokenTextAsPlainText() {
        String ids = CommandRun.of("tokenize", "-m", LLAMA3, "--ids", "--no-parse-special", "<|eot_id|>").out();
        assertTrue(!ids.contains("128009") && ids.trim().split(" ").length > 1, ids);
    }

    @Test
    void escapesWhitespaceControlAndBrokenUtf8InGgufPieces() {
        CommandRun r = CommandRun.of("tokenize", "-m", SPM, "a\tb\n\u00a0\uD83E\uDD99");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\\t"), r.out());
        assertTrue(r.out().contains("\\n"), r.out());
        assertTrue(r.out().contains("\\xF0"), r.out()); // the llama emoji falls back to single bytes
        byte[] text = " \n\t\r\\\u00a0\u0007é".getBytes(StandardCharsets.UTF_8);
        assertEquals("\\s\\n\\t\\r\\\\\\u{A0}\\u{7}é\\xC3\\xFF",
                TokenizeCommand.escape(concat(text, new byte[] {(byte) 0xC3, (byte) 0xFF})));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void loadsAHuggingFaceFolder() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("gpt2"));
        Files.createSymbolicLink(folder.resolve("tokenizer.json"), Path.of(GPT2));
        assertEquals("15496 995\n", CommandRun.of("tokenize", "-m", folder.toString(), "--ids", "Hello world").out());
    }

    @Test
    void jsonlFromFileAndFromStdin() throws IOException {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "\"Hello world\"\n\"\"\n\"<|eot_id|>\\n\"\n");
        CommandRun r = CommandRun.of("tokenize", "-m", LLAMA3, "--jsonl", "--input", in.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("[9906,1917]\n[]\n[128009,198]\n", r.out());
        assertEquals("[128000,9906,1917]\n[128000]\n[128000,128009,198]\n",
                CommandRun.of("tokenize", "-m", LLAMA3, "--jsonl", "--add-special", "--input", in.toString()).out());
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream("\"Hello world\"\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals("[15496,995]\n", CommandRun.of("tokenize", "-m", GPT2, "--jsonl").out());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void malformedJsonlLinesAreNamedByNumber() throws IOException {
        Path in = dir.resolve("bad.jsonl");
        Files.writeString(in, "\"ok\"\n\"unterminated\n");
        CommandRun r = CommandRun.of("tokenize", "-m", GPT2, "--jsonl", "--input", in.toString());
        assertEquals(1, r.exit());
        assertEquals("[482]\n", r.out());
        assertTrue(r.err().startsWith("jllm: line 2 of " + in + ": invalid JSON"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Files.writeString(in, "\"ok\"\n\"ok\"\n42\n");
        r = CommandRun.of("tokenize", "-m", GPT2, "--jsonl", "--input", in.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("line 3") && r.err().contains("expected a JSON string, found number"), r.err());
        Files.writeString(in, "\"ok\"\n\n");
        r = CommandRun.of("tokenize", "-m", GPT2, "--jsonl", "--input", in.toString());
        assertTrue(r.err().contains("line 2") && r.err().contains("empty line"), r.err());
    }

    @Test
    void badUseIsOneLineAndNonZeroExit() throws IOException {
        CommandRun missing = CommandRun.of("tokenize", "-m", dir.resolve("absent.json").toString(), "hi");
        assertEquals(1, missing.exit());
        assertEquals("jllm: no such file: " + dir.resolve("absent.json") + "\n", missing.err());
        CommandRun noText = CommandRun.of("tokenize", "-m", GPT2);
        assertEquals(1, noText.exit());
        assertTrue(noText.err().contains("nothing to tokenize"), noText.err());
        assertEquals(1, CommandRun.of("tokenize", "-m", GPT2, "--jsonl", "hi").exit());
        Path junk = dir.resolve("junk.gguf");
        Files.writeString(junk, "not a gguf");
        CommandRun bad = CommandRun.of("tokenize", "-m", junk.toString(), "hi");
        assertEquals(1, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertEquals(2, CommandRun.of("tokenize", "hi").exit()); // -m is required
    }
}
