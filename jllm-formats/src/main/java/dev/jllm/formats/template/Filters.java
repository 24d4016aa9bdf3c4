package dev.jllm.formats.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Jinja2's built-in filters with Hugging Face's {@code tojson}, as {@code value | name(args)} applies them. */
final class Filters {
    private static final Set<String> NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "forceescape", "format", "indent", "int", "items", "join", "last",
            "length", "list", "lower", "map", "max", "min", "pprint", "reject", "rejectattr", "replace", "reverse", "round",
            "safe", "select", "selectattr", "slice", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique",
            "upper", "wordcount");
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)", Pattern.UNICODE_CHARACTER_CLASS);

    private Filters() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static Object apply(Renderer r, String name, Object v, Args a) {
        return switch (name) {
            case "abs" -> {
                if (v instanceof Double d) {
                    yield Math.abs(d);
                }
                if (!PyOps.isNumber(v)) {
                    throw TemplateException.type("bad operand type for abs(): '" + PyText.typeName(v) + "'");
                }
                yield PyOps.compare(v, 0L, "<") < 0 ? PyOps.negate(v) : PyOps.asLong(v);
            }
            case "attr" -> {
                // Python's getattr only: a dict's keys are not attributes
                String attr = a.check(1).string(0, "name", "");
                Object method = Methods.bind(v, attr);
                yield method != null ? method : v instanceof Namespace || v instanceof LoopState || v instanceof Undefined
                        ? Access.attribute(v, attr) : Undefined.member(v, attr);
            }
            case "batch" -> new PyIterator(() -> batch(v, a.check(2, "linecount", "fill_with")), "generator");
            case "capitalize" -> PyStrings.capitalize(PyText.str(v));
            case "center" -> PyStrings.pad(PyText.str(v), (int) Math.min(a.check(1, "width").integer(0, "width", 80), PyOps.MAX_SEQUENCE), " ", "center");
            case "count", "length" -> (long) PyOps.length(v);
            case "d", "default" -> {
                a.check(2, "default_value", "boolean");
                yield v instanceof Undefined || (a.flag(1, "boolean", false) && !PyOps.truthy(v)) ? a.get(0, "default_value", "") : v;
            }
            case "dictsort" -> dictsort(v, a.check(3, "case_sensitive", "by", "reverse"));
            case "e", "escape" -> Markup.of(v);
            case "forceescape" -> new Markup(Markup.escape(PyText.str(v)));
            case "first" -> {
                List<Object> items = PyOps.iterate(v);
                yield items.isEmpty() ? Undefined.hint("No first item, sequence was empty.") : items.get(0);
            }
            case "last" -> {
                if (!(v instanceof List || v instanceof Map || PyOps.isString(v) || v instanceof Undefined)) {
                    throw TemplateException.type("'" + PyText.typeName(v) + "' object is not reversible");
                }
                List<Object> items = PyOps.iterate(v);
                yield items.isEmpty() ? Undefined.hint("No last item, sequence was empty.") : items.get(items.size() - 1);
            }
            case "float" -> toFloat(v, a.check(1, "default").get(0, "default", 0.0));
            case "format" -> {
                if (a.size() > 0 && !a.keywords().isEmpty()) {
                    throw new TemplateException("FilterArgumentError", "can't handle positional and keyword arguments at the same time", 0, 0);
                }
                Object args = a.keywords().isEmpty() ? Tuple.of(a.positional()) : new LinkedHashMap<Object, Object>(a.keywords());
                yield PyFormat.percent(PyText.str(v), args);
            }
            case "indent" -> {
                // Jinja2 appends a newline to the value with +=, which fails for anything but strings
                PyOps.undefinedCheck(v);
                if (v instanceof List && !(v instanceof Tuple)) {
                    throw new TemplateException("AttributeError", "'" + PyText.typeName(v) + "' object has no attribute 'splitlines'", 0, 0);
                }
                if (!PyOps.isString(v)) {
                    throw TemplateException.type("unsupported operand type(s) for +=: '" + PyText.typeName(v) + "' and 'str'");
                }
                yield indent(PyOps.text(v), a.check(3, "width", "first", "blank"));
            }
            case "int" -> toInt(v, a.check(2, "default", "base"));
            case "items" -> new PyIterator(() -> {
                if (v instanceof Undefined) {
                    return List.of();
                }
                if (!(v instanceof Map<?, ?> m)) {
                    throw TemplateException.type("Can only get item pairs from a mapping.");
                }
                List<Object> pairs = new ArrayList<>();
                m.forEach((key, value) -> pairs.add(new Tuple(key, value)));
                return pairs;
            }, "generator");
            case "join" -> join(v, a.check(2, "d", "attribute"));
            case "list" -> PyOps.toList(v);
            case "lower" -> PyText.str(v).toLowerCase(Locale.ROOT);
            case "upper" -> PyText.str(v).toUpperCase(Locale.ROOT);
            case "map" -> new PyIterator(() -> map(r, v, a), "generator");
            case "max", "min" -> minMax(v, a.check(2, "case_sensitive", "attribute"), name.equals("max"));
            case "pprint" -> PyText.repr(v);
            case "select", "reject" -> new PyIterator(() -> selectOrReject(r, v, a, false, name.equals("select")), "generator");
            case "selectattr", "rejectattr" -> new PyIterator(() -> selectOrReject(r, v, a, true, name.equals("selectattr")), "generator");
            case "replace" -> {
                a.check(3, "old", "new", "count");
                Object count = a.get(2, "count", null);
                yield PyStrings.replace(PyText.str(v), PyText.str(a.get(0, "old", Args.REQUIRED)), PyText.str(a.get(1, "new", Args.REQUIRED)),
                        count == null ? -1 : a.integer(2, "count", -1));
            }
            case "reverse" -> reverse(v);
            case "round" -> round(v, a.check(2, "precision", "method"));
            case "safe" -> v instanceof Markup ? v : new Markup(PyText.str(v));
            case "slice" -> slice(v, a.check(2, "slices", "fill_with"));
            case "sort" -> sort(v, a.check(3, "reverse", "case_sensitive", "attribute"));
            case "string" -> v instanceof Markup ? v : PyText.str(v);
            case "sum" -> {
                a.check(2, "attribute", "start");
                Object attr = a.get(0, "attribute", null);
                Object total = a.get(1, "start", 0L);
                for (Object o : PyOps.iterate(v)) {
                    total = PyOps.add(total, attr == null ? o : attribute(o, attr, null));
                }
                yield total;
            }
            case "title" -> title(PyText.str(v));
            case "tojson" -> {
                // Hugging Face's signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
                a.check(4, "ensure_ascii", "indent", "separators", "sort_keys");
                Object seps = a.get(2, "separators", null);
                if (seps != null && !(seps instanceof List)) {
                    throw TemplateException.type("separators must be a list or tuple");
                }
                yield PyJson.dumps(v, a.flag(0, "ensure_ascii", false), a.get(1, "indent", null), (List<?>) seps,
                        a.flag(3, "sort_keys", false));
            }
            case "trim" -> PyStrings.strip(PyText.str(v), a.check(1, "chars").string(0, "chars", null), true, true);
            case "truncate" -> {
                int n = PyOps.length(v);
                if (!PyOps.isString(v)) {
                    // Jinja2 truncates any sized value; a long list then fails on str.rsplit
                    a.check(4, "length", "killwords", "end", "leeway");
                    if (n <= a.integer(0, "length", 255) + (a.get(3, "leeway", null) == null ? 5 : a.integer(3, "leeway", 5))) {
                        yield v;
                    }
                    throw new TemplateException("AttributeError", "'" + PyText.typeName(v) + "' object has no attribute 'rsplit'", 0, 0);
                }
                yield truncate(PyOps.text(v), a.check(4, "length", "killwords", "end", "leeway"));
            }
            case "unique" -> new PyIterator(() -> unique(v, a.check(2, "case_sensitive", "attribute")), "generator");
            case "wordcount" -> {
                Matcher m = WORD.matcher(PyText.str(v));
                long n = 0;
                while (m.find()) {
                    n++;
                }
                yield n;
            }
            default -> throw new TemplateException("TemplateRuntimeError", "No filter named '" + name + "' found.", 0, 0);
        };
    }

    /** Jinja2's attribute getter for filters: a dotted path, integer parts as indexes; {@code default} replaces Undefined. */
    static Object attribute(Object item, Object path, Object fallback) {
        Object v = item;
        if (path instanceof Long) {
            v = Access.item(v, path);
        } else {
            for (String part : PyText.str(path).split("\\.", -1)) {
                Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() && part.length() < 18 ? (Object) Long.parseLong(part) : part;
                v = Access.item(v, key);
            }
        }
        return fallback != null && v instanceof Undefined ? fallback : v;
    }

    private static Object toFloat(Object v, Object fallback) {
        PyOps.undefinedCheck(v);
        if (v instanceof Double) {
            return v;
        }
        if (PyOps.isNumber(v)) {
            return PyOps.asDouble(v);
        }
        String s = PyOps.text(v);
        if (s != null) {
            String t = PyStrings.strip(s, null, true, true).replace("_", "");
            String lower = t.toLowerCase(Locale.ROOT);
            if (lower.matches("[+-]?(inf|infinity)")) {
                return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (lower.matches("[+-]?nan")) {
                return Double.NaN;
            }
            if (t.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                return Double.parseDouble(t);
            }
        }
        return fallback;
    }

    private static Object toInt(Object v, Args a) {
        Object fallback = a.get(0, "default", 0L);
        long base = a.integer(1, "base", 10);
        PyOps.undefinedCheck(v);
        if (v instanceof Long) {
            return v;
        }
        if (v instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        if (v instanceof Double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw TemplateException.value("cannot convert float " + PyText.floatRepr(d) + " to integer");
            }
            return Math.abs(d) < 9.2e18 ? (Object) (long) (double) d : fallback;
        }
        String s = PyOps.text(v);
        if (s != null) {
            String t = PyStrings.strip(s, null, true, true).replace("_", "");
            try {
                if (base < 2 || base > 36) {
                    return fallback;
                }
                String digits = t;
                if (base == 16 && digits.toLowerCase(Locale.ROOT).matches("[+-]?0x.*")) {
                    digits = digits.replaceFirst("(?i)0x", "");
                }
                return Long.parseLong(digits, (int) base);
            } catch (NumberFormatException e) {
                Object f = toFloat(s, null);
                if (f instanceof Double d && !d.isNaN() && !d.isInfinite()) {
                    return (long) (double) d;
                }
                return fallback;
            }
        }
        return fallback;
    }

    private static String indent(String s, Args a) {
        Object width = a.get(0, "width", 4L);
        String ind = PyOps.isString(width) ? PyOps.text(width) : " ".repeat((int) Math.max(0, Math.min(a.integer(0, "width", 4), 1000)));
        boolean first = a.flag(1, "first", false);
        boolean blank = a.flag(2, "blank", false);
        List<Object> lines = PyStrings.splitlines(s + "\n", false);
        StringBuilder sb = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                sb.append(i == 0 ? "" : "\n" + ind).append((String) lines.get(i));
            }
        } else {
            sb.append((String) lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                sb.append('\n').append(line.isEmpty() ? "" : ind).append(line);
                if (sb.length() > PyOps.MAX_SEQUENCE) {
                    PyOps.bounded(sb.toString());
                }
            }
        }
        return PyOps.bounded(first ? ind + sb : sb.toString());
    }

    private static String join(Object v, Args a) {
        String sep = PyText.str(a.get(0, "d", ""));
        Object attr = a.get(1, "attribute", null);
        StringBuilder sb = new StringBuilder();
        boolean firstItem = true;
        for (Object o : PyOps.iterate(v)) {
            if (!firstItem) {
                sb.append(sep);
            }
            firstItem = false;
            sb.append(PyText.str(attr == null ? o : attribute(o, attr, null)));
            if (sb.length() > PyOps.MAX_SEQUENCE) {
                PyOps.bounded(sb.toString());
            }
        }
        return sb.toString();
    }

    private static List<Object> map(Renderer r, Object v, Args a) {
        List<Object> out = new ArrayList<>();
        if (!PyOps.truthy(v)) {
            // Jinja2 maps nothing over a falsy value, None included
            return out;
        }
        if (a.size() == 0 && a.keywords().containsKey("attribute")) {
            a.check(0, "attribute", "default");
            Object attr = a.get(99, "attribute", null);
            Object fallback = a.get(99, "default", null);
            for (Object o : PyOps.iterate(v)) {
                out.add(attribute(o, attr, fallback));
            }
        } else {
            if (a.size() == 0) {
                throw new TemplateException("FilterArgumentError", "map requires a filter argument", 0, 0);
            }
            String filter = PyText.str(a.get(0, "name", Args.REQUIRED));
            if (!exists(filter)) {
                throw new TemplateException("TemplateRuntimeError", "No filter named '" + filter + "'.", 0, 0);
            }
            Args rest = new Args(filter, a.positional().subList(1, a.size()), a.keywords());
            for (Object o : PyOps.iterate(v)) {
                out.add(apply(r, filter, o, rest));
            }
        }
        return out;
    }

    private static List<Object> selectOrReject(Renderer r, Object v, Args a, boolean byAttribute, boolean select) {
        if (!PyOps.truthy(v)) {
            // Jinja2 selects nothing from a falsy value, None included
            return new ArrayList<>();
        }
        int off = byAttribute ? 1 : 0;
        Object attr = byAttribute ? a.get(0, "attribute", Args.REQUIRED) : null;
        String test = a.size() > off ? PyText.str(a.positional().get(off)) : null;
        if (test != null && !Tests.exists(test)) {
            throw new TemplateException("TemplateRuntimeError", "No test named '" + test + "'.", 0, 0);
        }
        Args rest = new Args(test, a.size() > off + 1 ? a.positional().subList(off + 1, a.size()) : List.of(), a.keywords());
        List<Object> out = new ArrayList<>();
        for (Object o : PyOps.iterate(v)) {
            Object x = byAttribute ? attribute(o, attr, null) : o;
            boolean ok = test == null ? PyOps.truthy(x) : Tests.apply(r, test, x, rest);
            if (ok == select) {
                out.add(o);
            }
        }
        return out;
    }

    private static Object sortKey(Object o, Object attr, boolean caseSensitive) {
        Object k = attr == null ? o : attribute(o, attr, null);
        if (!caseSensitive && PyOps.isString(k)) {
            return PyOps.text(k).toLowerCase(Locale.ROOT);
        }
        return k;
    }

    private static List<Object> sort(Object v, Args a) {
        boolean reverse = a.flag(0, "reverse", false);
        boolean cs = a.flag(1, "case_sensitive", false);
        Object attr = a.get(2, "attribute", null);
        List<Object> items = PyOps.toList(v);
        List<Object[]> keyed = new ArrayList<>();
        for (Object o : items) {
            keyed.add(new Object[] {sortKey(o, attr, cs), o});
        }
        keyed.sort((x, y) -> reverse ? PyOps.compare(y[0], x[0], "<") : PyOps.compare(x[0], y[0], "<"));
        List<Object> out = new ArrayList<>();
        keyed.forEach(k -> out.add(k[1]));
        return out;
    }

    private static List<Object> unique(Object v, Args a) {
        boolean cs = a.flag(0, "case_sensitive", false);
        Object attr = a.get(1, "attribute", null);
        List<Object> seen = new ArrayList<>();
        List<Object> out = new ArrayList<>();
        for (Object o : PyOps.iterate(v)) {
            Object k = sortKey(o, attr, cs);
            if (seen.stream().noneMatch(s -> PyOps.eq(s, k))) {
                seen.add(k);
                out.add(o);
            }
        }
        return out;
    }

    private static Object minMax(Object v, Args a, boolean max) {
        boolean cs = a.flag(0, "case_sensitive", false);
        Object attr = a.get(1, "attribute", null);
        Object best = null;
        Object bestKey = null;
        boolean any = false;
        for (Object o : PyOps.iterate(v)) {
            Object k = sortKey(o, attr, cs);
            if (!any || (max ? PyOps.compare(k, bestKey, ">") > 0 : PyOps.compare(k, bestKey, "<") < 0)) {
                best = o;
                bestKey = k;
                any = true;
            }
        }
        return any ? best : Undefined.hint("No aggregated item, sequence was empty.");
    }

    private static List<Object> dictsort(Object v, Args a) {
        boolean cs = a.flag(0, "case_sensitive", false);
        String by = a.string(1, "by", "key");
        boolean reverse = a.flag(2, "reverse", false);
        PyOps.undefinedCheck(v);
        if (!(v instanceof Map<?, ?> m)) {
            throw new TemplateException("AttributeError", "'" + PyText.typeName(v) + "' object has no attribute 'items'", 0, 0);
        }
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new TemplateException("FilterArgumentError", "You can only sort by either \"key\" or \"value\"", 0, 0);
        };
        List<Object> pairs = new ArrayList<>();
        m.forEach((k, val) -> pairs.add(new Tuple(k, val)));
        pairs.sort((x, y) -> {
            int c = PyOps.compare(sortKey(((Tuple) x).get(pos), null, cs), sortKey(((Tuple) y).get(pos), null, cs), "<");
            return reverse ? -c : c;
        });
        return pairs;
    }

    private static Object reverse(Object v) {
        if (v instanceof Undefined) {
            // Python reverses Undefined (it has a length and items) into an empty but truthy iterator
            return new PyIterator(List.of(), "reversed");
        }
        if (!PyOps.iterable(v)) {
            throw new TemplateException("FilterArgumentError", "argument must be iterable", 0, 0);
        }
        String s = PyOps.text(v);
        if (s != null) {
            return new StringBuilder(s).reverse().toString();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l);
            Collections.reverse(out);
            return new PyIterator(out, "list_reverseiterator");
        }
        if (v instanceof Map<?, ?> m) {
            List<Object> out = new ArrayList<>(m.keySet());
            Collections.reverse(out);
            return new PyIterator(out, "dict_reversekeyiterator");
        }
        List<Object> out = PyOps.toList(v);
        Collections.reverse(out);
        return out;
    }

    private static Object round(Object v, Args a) {
        long precision = a.integer(0, "precision", 0);
        String method = a.string(1, "method", "common");
        if (!PyOps.isNumber(v)) {
            throw TemplateException.type("type " + PyText.typeName(v) + " doesn't define __round__ method");
        }
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
            throw new TemplateException("FilterArgumentError", "method must be common, ceil or floor", 0, 0);
        }
        if (method.equals("common") && !(v instanceof Double)) {
            return PyOps.asLong(v);
        }
        double d = PyOps.asDouble(v);
        if (Double.isNaN(d) || Double.isInfinite(d) || Math.abs(precision) > 300) {
            return d;
        }
        RoundingMode mode = method.equals("common") ? RoundingMode.HALF_EVEN : method.equals("ceil") ? RoundingMode.CEILING : RoundingMode.FLOOR;
        return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
    }

    private static List<Object> batch(Object v, Args a) {
        long n = a.integer(0, "linecount", 1);
        if (n <= 0) {
            throw TemplateException.value("batch size must be positive");
        }
        boolean fill = a.keywords().containsKey("fill_with") || a.size() > 1;
        Object filler = a.get(1, "fill_with", null);
        List<Object> out = new ArrayList<>();
        List<Object> current = new ArrayList<>();
        for (Object o : PyOps.iterate(v)) {
            if (current.size() == n) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(o);
        }
        if (!current.isEmpty()) {
            while (fill && current.size() < n) {
                current.add(filler);
            }
            out.add(current);
        }
        return out;
    }

    private static Object slice(Object v, Args a) {
        long slices = a.integer(0, "slices", 1);
        if (slices <= 0 || slices > PyOps.MAX_SEQUENCE) {
            throw TemplateException.value("slices must be positive");
        }
        boolean fill = a.keywords().containsKey("fill_with") || a.size() > 1;
        Object filler = a.get(1, "fill_with", null);
        List<Object> seq = PyOps.toList(v);
        int length = seq.size();
        int per = (int) (length / slices);
        int extra = (int) (length % slices);
        int offset = 0;
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
            int start = offset + i * per;
            if (i < extra) {
                offset++;
            }
            int end = offset + (i + 1) * per;
            List<Object> part = new ArrayList<>(seq.subList(start, end));
            if (fill && i >= extra) {
                part.add(filler);
            }
            out.add(part);
        }
        return new PyIterator(out, "generator");
    }

    private static String truncate(String s, Args a) {
        long length = a.integer(0, "length", 255);
        boolean killwords = a.flag(1, "killwords", false);
        String end = a.string(2, "end", "...");
        long leeway = a.get(3, "leeway", null) == null ? 5 : a.integer(3, "leeway", 5);
        int n = s.codePointCount(0, s.length());
        if (length < end.length()) {
            throw new TemplateException("AssertionError", "expected length >= " + end.length() + ", got " + length, 0, 0);
        }
        if (leeway < 0) {
            throw new TemplateException("AssertionError", "expected leeway >= 0, got " + leeway, 0, 0);
        }
        if (n <= length + leeway) {
            return s;
        }
        String head = (String) Access.slice(s, null, length - end.length(), null);
        if (killwords) {
            return head + end;
        }
        int space = head.lastIndexOf(' ');
        return (space >= 0 ? head.substring(0, space) : head) + end;
    }

    // Jinja2's title filter: upper-case the first letter of each word, words split at spaces, dashes and opening brackets
    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        Matcher m = WORD_BEGINNING.matcher(s);
        int last = 0;
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group());
            last = m.end();
        }
        parts.add(s.substring(last));
        for (String item : parts) {
            if (!item.isEmpty()) {
                int cp = item.codePointAt(0);
                sb.append(Character.toString(cp).toUpperCase(Locale.ROOT)).append(item.substring(Character.charCount(cp)).toLowerCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }

    /** Python's dict(...) global: keyword arguments, or a mapping or pairs then keywords. */
    static Map<Object, Object> dict(List<Object> args, Map<String, Object> kwargs) {
        Map<Object, Object> out = new LinkedHashMap<>();
        if (args.size() > 1) {
            throw TemplateException.type("dict expected at most 1 argument, got " + args.size());
        }
        if (args.size() == 1) {
            Object src = args.get(0);
            PyOps.undefinedCheck(src);
            if (src instanceof Map<?, ?> m) {
                out.putAll(m);
            } else {
                for (Object pair : PyOps.iterate(src)) {
                    List<Object> kv = PyOps.iterate(pair);
                    if (kv.size() != 2) {
                        throw TemplateException.value("dictionary update sequence element has length " + kv.size() + "; 2 is required");
                    }
                    out.put(PyOps.key(kv.get(0)), kv.get(1));
                }
            }
        }
        out.putAll(kwargs);
        return out;
    }
}
