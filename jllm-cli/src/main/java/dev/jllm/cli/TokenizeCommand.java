package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.formats.tokenizer.Tokenizer;
import dev.jllm.formats.tokenizer.load.TokenizerLoader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jllm tokenize -m MODEL TEXT}: the ids a model's tokenizer gives a text, with the piece of
 * text each stands for; or, with {@code --jsonl}, one JSON array of ids for each JSON string line of
 * the input.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text to token ids with a model's tokenizer.",
            "Prints one line 'id<TAB>piece' per token; in pieces a space is \\s, a newline \\n, a tab \\t,"
                    + " a backslash \\\\, other control and whitespace characters \\u{hex}, bytes that are not"
                    + " whole UTF-8 characters \\xHH."})
final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A .gguf file, tokenizer.json, tokenizer.model, tiktoken.model, vocab.json (with merges.txt),"
                    + " vocab.txt, llama2.c tokenizer.bin, or a Hugging Face model folder.")
    Path model;

    @Option(names = "--ids", description = "Print only the ids, space-separated, on one line.")
    boolean idsOnly;

    @Option(names = "--add-special", description = "Add BOS/EOS (or CLS/SEP) as the model's configuration says.")
    boolean addSpecial;

    @Option(names = "--no-parse-special",
            description = "Encode special tokens written in the text (e.g. <|eot_id|>) as plain text.")
    boolean noParseSpecial;

    @Option(names = "--jsonl", description = "Read one JSON string per line (from --input, else stdin) and print "
            + "one JSON array of ids per line.")
    boolean jsonl;

    @Option(names = "--input", paramLabel = "FILE", description = "With --jsonl: read this file instead of stdin.")
    Path input;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "The text; several words are joined with spaces.")
    List<String> text;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (jsonl == (text != null && !text.isEmpty())) {
            throw new IllegalArgumentException(jsonl ? "give either TEXT or --jsonl, not both"
                    : "nothing to tokenize: give TEXT, or --jsonl to read JSON strings line by line");
        }
        if (input != null && !jsonl) {
            throw new IllegalArgumentException("--input is read only with --jsonl");
        }
        Tokenizer tokenizer = load(model);
        if (jsonl) {
            encodeLines(tokenizer, out);
        } else {
            int[] ids = tokenizer.encode(String.join(" ", text), addSpecial, !noParseSpecial);
            printIds(tokenizer, ids, out);
        }
        out.flush();
        return 0;
    }

    /** Loads the tokenizer at {@code model}, telling a missing path apart from a malformed one. */
    static Tokenizer load(Path model) throws IOException {
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString());
        }
        return TokenizerLoader.load(model);
    }

    private void printIds(Tokenizer tokenizer, int[] ids, PrintWriter out) {
        if (idsOnly) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                sb.append(i == 0 ? "" : " ").append(ids[i]);
            }
            out.println(sb);
            return;
        }
        for (int id : ids) {
            String piece = tokenizer.isSpecial(id) ? escape(tokenizer.token(id).getBytes(StandardCharsets.UTF_8))
                    : escape(tokenizer.pieceBytes(id, false));
            out.println(id + "\t" + piece);
        }
    }

    private void encodeLines(Tokenizer tokenizer, PrintWriter out) throws IOException {
        String source = input == null ? "stdin" : input.toString();
        if (input != null && !Files.isRegularFile(input)) {
            throw new NoSuchFileException(input.toString());
        }
        try (BufferedReader in = input == null
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String line;
            long number = 0;
            StringBuilder sb = new StringBuilder();
            while ((line = in.readLine()) != null) {
                number++;
                String value = JsonStringLine.parse(line, number, source);
                int[] ids = tokenizer.encode(value, addSpecial, !noParseSpecial);
                sb.setLength(0);
                sb.append('[');
                for (int i = 0; i < ids.length; i++) {
                    sb.append(i == 0 ? "" : ",").append(ids[i]);
                }
                out.println(sb.append(']'));
            }
        }
    }

    /** A piece's bytes as one visible line: whitespace and control characters escaped, broken UTF-8 as \xHH. */
    static String escape(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int i = 0;
        while (i < bytes.length) {
            int len = utf8Length(bytes[i]);
            String ch = null;
            if (len > 0 && i + len <= bytes.length) {
                try {
                    CharBuffer cb = utf8.reset().decode(ByteBuffer.wrap(bytes, i, len));
                    ch = cb.toString();
                } catch (CharacterCodingException e) {
                    ch = null;
                }
            }
            if (ch == null) {
                sb.append(String.format("\\x%02X", bytes[i] & 0xFF));
                i++;
                continue;
            }
            appendEscaped(sb, ch.codePointAt(0));
            i += len;
        }
        return sb.toString();
    }

    private static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0x80) {
            return 1;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            return 2;
        }
        if (b >= 0xE0 && b <= 0xEF) {
            return 3;
        }
        if (b >= 0xF0 && b <= 0xF4) {
            return 4;
        }
        return 0;
    }

    private static void appendEscaped(StringBuilder sb, int cp) {
        switch (cp) {
            case ' ' -> sb.append("\\s");
            case '\n' -> sb.append("\\n");
            case '\t' -> sb.append("\\t");
            case '\r' -> sb.append("\\r");
            case '\\' -> sb.append("\\\\");
            default -> {
                if (Character.isISOControl(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp)
                        || Character.getType(cp) == Character.FORMAT) {
                    sb.append("\\u{").append(Integer.toHexString(cp).toUpperCase(java.util.Locale.ROOT)).append('}');
                } else {
                    sb.appendCodePoint(cp);
                }
            }
        }
    }
}
