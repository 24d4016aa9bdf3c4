package dev.jllm.eval.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads delimited text files as the benchmark releases write them: CSV in RFC 4180 form (fields in double quotes
 * may hold commas, newlines and doubled quotes), as Python's {@code csv} module and pandas write it; and TSV with
 * no quoting at all, as GLUE's files are read.
 */
public final class CsvFile {
    private CsvFile() {
    }

    /**
     * The records of a UTF-8 CSV file; blank lines between records are skipped.
     *
     * @throws EvalDataException if the file is not UTF-8, a quoted field is not closed, or a closing quote is
     *     followed by anything but a comma or the end of the line
     */
    public static List<CsvRecord> read(Path file) throws IOException {
        return parse(file, text(file));
    }

    /** As {@link #read}, over text already read from {@code file}. */
    static List<CsvRecord> parse(Path file, String s) throws EvalDataException {
        List<CsvRecord> out = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        long line = 1;
        long recordLine = 1;
        int i = s.startsWith("\uFEFF") ? 1 : 0;
        boolean atFieldStart = true;
        boolean recordEmpty = true;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (atFieldStart && c == '"') {
                long quoteLine = line;
                i++;
                while (true) {
                    if (i >= s.length()) {
                        throw new EvalDataException(file, quoteLine, "a quoted field is never closed");
                    }
                    char q = s.charAt(i);
                    if (q == '"') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (q == '\n') {
                        line++;
                    }
                    field.append(q);
                    i++;
                }
                if (i < s.length() && s.charAt(i) != ',' && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
                    throw new EvalDataException(file, line, "text after the closing quote of a field");
                }
                atFieldStart = false;
                recordEmpty = false;
                continue;
            }
            if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                atFieldStart = true;
                recordEmpty = false;
                i++;
            } else if (c == '\n' || c == '\r') {
                if (!recordEmpty || !atFieldStart) {
                    fields.add(field.toString());
                    out.add(new CsvRecord(recordLine, fields));
                    fields = new ArrayList<>();
                }
                field.setLength(0);
                atFieldStart = true;
                recordEmpty = true;
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                line++;
                recordLine = line;
            } else {
                field.append(c);
                atFieldStart = false;
                recordEmpty = false;
                i++;
            }
        }
        if (!recordEmpty || !atFieldStart) {
            fields.add(field.toString());
            out.add(new CsvRecord(recordLine, fields));
        }
        return out;
    }

    /** The records of a UTF-8 TSV file: lines split at tabs, quotes kept as text, blank lines skipped. */
    public static List<CsvRecord> readTsv(Path file) throws IOException {
        List<CsvRecord> out = new ArrayList<>();
        String[] lines = text(file).split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = i == 0 && lines[i].startsWith("\uFEFF") ? lines[i].substring(1) : lines[i];
            if (!l.isEmpty()) {
                out.add(new CsvRecord(i + 1, List.of(l.split("\t", -1))));
            }
        }
        return out;
    }

    /** The file's text, decoded strictly as UTF-8. */
    public static String text(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new EvalDataException(file, 0, "is not UTF-8 text");
        }
    }
}
