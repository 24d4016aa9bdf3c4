package dev.jllm.formats.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A Hugging Face chat template (Jinja2), parsed once and rendered any number of times, byte for
 * byte as {@code transformers}' {@code apply_chat_template} renders it: Jinja2 with
 * {@code trim_blocks} and {@code lstrip_blocks}, no autoescaping, lenient undefined values, the
 * globals {@code raise_exception}, {@code strftime_now}, {@code range}, {@code dict} and
 * {@code namespace}, and a {@code tojson} filter that is Python's {@code json.dumps}.
 *
 * <p>Instances are immutable and may be rendered from several threads at once.
 */
public final class ChatTemplate {
    /** Longest output a rendering may produce, in UTF-16 characters. */
    public static final int MAX_OUTPUT_CHARS = 8_000_000;
    /** Most statements and loop iterations one rendering may execute. */
    public static final long MAX_STEPS = 2_000_000;
    /** Deepest nesting of macro calls. */
    public static final int MAX_CALL_DEPTH = 64;
    private static final int MAX_VARIABLE_DEPTH = 200;

    private final String source;
    private final List<Node> body;

    private ChatTemplate(String source, List<Node> body) {
        this.source = source;
        this.body = body;
    }

    /**
     * Parses a template.
     *
     * @throws TemplateException a syntax error, with its line and column, or an unknown filter or test
     */
    public static ChatTemplate parse(String source) {
        Objects.requireNonNull(source, "source");
        try {
            return new ChatTemplate(source, Parser.parse(source));
        } catch (StackOverflowError e) {
            throw TemplateException.limit("template nested too deeply to parse");
        }
    }

    /** The template's text as given to {@link #parse}. */
    public String source() {
        return source;
    }

    /**
     * Renders with {@code variables} (typically {@code messages}, {@code tools},
     * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}), whose values are plain
     * Java values as a JSON parser gives them: {@code String}, {@code Number}, {@code Boolean},
     * {@code null}, {@code List}, {@code Map}. {@code strftime_now} reads the system clock.
     *
     * @throws TemplateException the template's own {@code raise_exception}, an undefined value used
     *     where a value is needed, a type error, or a limit exceeded; {@link TemplateException#line()} says where
     */
    public String render(Map<String, ?> variables) {
        return render(variables, LocalDateTime::now);
    }

    /** Renders as {@link #render(Map)}, with {@code strftime_now} reading {@code clock}. */
    public String render(Map<String, ?> variables, Supplier<LocalDateTime> clock) {
        Scope globals = new Scope(null);
        globals.set("range", (JinjaCallable) ChatTemplate::range);
        globals.set("dict", (JinjaCallable) Filters::dict);
        globals.set("namespace", (JinjaCallable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            Filters.dict(args, kwargs).forEach((k, v) -> ns.attributes.put(PyText.str(k), v));
            return ns;
        });
        globals.set("raise_exception", (JinjaCallable) (args, kwargs) -> {
            throw new TemplateException("TemplateError", args.isEmpty() ? "" : PyText.str(args.get(0)), 0, 0);
        });
        globals.set("strftime_now", (JinjaCallable) (args, kwargs) -> {
            String format = new Args("strftime_now", args, kwargs).check(1).string(0, "format", null);
            if (format == null) {
                throw TemplateException.type("strftime() argument 1 must be str, not None");
            }
            return Strftime.format(clock.get(), format);
        });
        globals.set("joiner", (JinjaCallable) (args, kwargs) -> {
            String sep = new Args("joiner", args, kwargs).check(1).string(0, "sep", ", ");
            boolean[] used = {false};
            return (JinjaCallable) (a, k) -> {
                boolean first = !used[0];
                used[0] = true;
                return first ? "" : sep;
            };
        });
        Scope given = new Scope(globals);
        if (variables != null) {
            for (Map.Entry<String, ?> e : variables.entrySet()) {
                given.set(e.getKey(), fromJava(e.getValue(), e.getKey(), 0));
            }
        }
        Renderer renderer = new Renderer(new Renderer.Limits(MAX_OUTPUT_CHARS, MAX_STEPS, MAX_CALL_DEPTH));
        WorkBudget.reset();
        try {
            return renderer.render(body, new Scope(given));
        } catch (StackOverflowError e) {
            // values nested thousands deep (built by a loop) can exhaust the stack when compared
            throw TemplateException.limit("values nested too deeply");
        }
    }

    // the sandbox's range(): at most 100000 items
    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        if (args.isEmpty() || args.size() > 3 || !kwargs.isEmpty()) {
            throw TemplateException.type("range expected 1 to 3 integer arguments, got " + args.size());
        }
        long[] v = new long[args.size()];
        for (int i = 0; i < v.length; i++) {
            Object a = args.get(i);
            PyOps.undefinedCheck(a);
            if (!(a instanceof Long || a instanceof Boolean)) {
                throw TemplateException.type("'" + PyText.typeName(a) + "' object cannot be interpreted as an integer");
            }
            v[i] = PyOps.asLong(a);
        }
        long start = v.length == 1 ? 0 : v[0];
        long stop = v.length == 1 ? v[0] : v[1];
        long step = v.length == 3 ? v[2] : 1;
        if (step == 0) {
            throw TemplateException.value("range() arg 3 must not be zero");
        }
        double count = step > 0 ? Math.ceil(((double) stop - start) / step) : Math.ceil(((double) start - stop) / -step);
        if (count > 100_000) {
            throw new TemplateException("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).", 0, 0);
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
        }
        return out;
    }

    // a caller's value as the interpreter's own: int as Long, float as Double, containers copied
    private static Object fromJava(Object v, String path, int depth) {
        if (depth > MAX_VARIABLE_DEPTH) {
            throw TemplateException.type("variable " + path + " is nested more than " + MAX_VARIABLE_DEPTH + " levels deep");
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return Double.parseDouble(Float.toString(f));
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b.doubleValue();
        }
        if (v instanceof BigDecimal b) {
            return b.doubleValue();
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = fromJava(e.getKey(), path, depth + 1);
                out.put(PyOps.key(k), fromJava(e.getValue(), path + "." + e.getKey(), depth + 1));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                out.add(fromJava(o, path + "[" + i++ + "]", depth + 1));
            }
            return out;
        }
        if (v instanceof Object[] arr) {
            return fromJava(java.util.Arrays.asList(arr), path, depth);
        }
        throw TemplateException.type("variable " + path + " has a type templates cannot use: " + v.getClass().getName());
    }
}
