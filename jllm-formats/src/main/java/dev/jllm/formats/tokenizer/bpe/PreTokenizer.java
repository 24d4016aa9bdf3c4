package dev.jllm.formats.tokenizer.bpe;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before BPE: a sequence of regexes, each applied to every piece the
 * previous ones produced, keeping both the matches and the text between them (Hugging Face's
 * {@code Split(..., "isolated")}, llama.cpp's {@code unicode_regex_split}).
 */
public final class PreTokenizer {
    /** GPT-2's pattern (also the ByteLevel pre-tokenizer's with {@code use_regex}). */
    public static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's pattern: case-insensitive contractions, digits in groups of up to three. */
    public static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's pattern: Llama 3's with single digits. */
    public static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** OpenAI o200k's pattern (GPT-4o, Llama 4): case runs, contractions attached, digits in threes. */
    public static final String O200K =
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Mistral's Tekken pattern: case runs, single digits. */
    public static final String TEKKEN =
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private final List<Pattern> patterns;
    private final boolean addPrefixSpace;

    /**
     * @param regexes patterns applied in order (Java syntax with Unicode character classes)
     * @param addPrefixSpace whether a space is put before text that does not start with one
     */
    public PreTokenizer(List<String> regexes, boolean addPrefixSpace) {
        this.patterns = new ArrayList<>();
        for (String r : regexes) {
            patterns.add(Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS));
        }
        this.addPrefixSpace = addPrefixSpace;
    }

    /** The pre-tokenizer llama.cpp uses for a GGUF {@code tokenizer.ggml.pre} name. */
    public static PreTokenizer forLlamaCppName(String pre) {
        String p = pre == null ? "default" : pre;
        List<String> rs = switch (p) {
            case "llama3", "llama-v3", "llama-bpe", "dbrx", "smaug-bpe", "falcon3", "pixtral", "chatglm-bpe",
                    "exaone", "minerva-7b" -> List.of(LLAMA3);
            case "qwen2", "stablelm2", "hunyuan", "megrez", "deepseek-r1-qwen" -> List.of(QWEN2);
            case "gpt-2", "gpt2", "mpt", "olmo", "jais", "trillion" -> List.of(GPT2);
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone-old" ->
                    List.of("\\p{N}", GPT2NoTrailingWhitespace());
            case "falcon" -> List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2NoTrailingWhitespace(), "[0-9][0-9][0-9]");
            case "deepseek-llm" -> List.of("[\\r\\n]",
                    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅ\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}Ⰰ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
                    "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", "[一-龥ࠀ-一가-퟿]+", "\\p{N}+");
            case "gpt-4o", "llama4" -> List.of(O200K);
            case "tekken" -> List.of(TEKKEN);
            case "deepseek-coder" -> List.of("[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}");
            case "deepseek-v3" -> List.of("\\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
            default -> List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2NoTrailingWhitespace(), "\\p{N}+", "[0-9][0-9][0-9]");
        };
        return new PreTokenizer(rs, false);
    }

    // llama.cpp's variant of GPT-2's pattern for some models: without the final \s+ alternative.
    private static String GPT2NoTrailingWhitespace() {
        return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    }

    /** Splits text into words, in order, none empty. */
    public List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        if (text.isEmpty()) {
            return pieces;
        }
        pieces.add(addPrefixSpace && text.charAt(0) != ' ' ? " " + text : text);
        for (Pattern p : patterns) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                Matcher m = p.matcher(piece);
                int last = 0;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue;
                    }
                    if (m.start() > last) {
                        next.add(piece.substring(last, m.start()));
                    }
                    next.add(piece.substring(m.start(), m.end()));
                    last = m.end();
                }
                if (last < piece.length()) {
                    next.add(piece.substring(last));
                }
            }
            pieces = next;
        }
        return pieces;
    }
}
