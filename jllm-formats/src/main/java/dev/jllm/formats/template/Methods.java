package dev.jllm.formats.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The Python methods templates call on values: {@code str.startswith}, {@code dict.items}, {@code list.index}, … */
final class Methods {
    private static final Set<String> UNSAFE_DICT = Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> UNSAFE_LIST = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");

    private Methods() {
    }

    /** The bound method {@code obj.name}, or {@code null} when {@code obj} has no such method. */
    static Object bind(Object obj, String name) {
        String s = PyOps.text(obj);
        if (s != null) {
            return stringMethod(s, name);
        }
        if (obj instanceof Map<?, ?> m) {
            if (UNSAFE_DICT.contains(name)) {
                return Undefined.unsafe(obj, name);
            }
            return dictMethod(m, name);
        }
        if (obj instanceof List<?> l) {
            if (UNSAFE_LIST.contains(name) && !(obj instanceof Tuple)) {
                return Undefined.unsafe(obj, name);
            }
            return listMethod(l, name);
        }
        return null;
    }

    private static JinjaCallable dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "get" -> (a, k) -> {
                Args args = new Args("get", a, k).check(2);
                Object key = PyOps.key(args.get(0, "key", Args.REQUIRED));
                return m.containsKey(key) ? m.get(key) : args.get(1, "default", null);
            };
            case "items" -> (a, k) -> {
                new Args("items", a, k).check(0);
                List<Object> out = new ArrayList<>(m.size());
                m.forEach((key, value) -> out.add(new Tuple(key, value)));
                return new DictView(out, "dict_items");
            };
            case "keys" -> (a, k) -> {
                new Args("keys", a, k).check(0);
                return new DictView(new ArrayList<>(m.keySet()), "dict_keys");
            };
            case "values" -> (a, k) -> {
                new Args("values", a, k).check(0);
                return new DictView(new ArrayList<>(m.values()), "dict_values");
            };
            case "copy" -> (a, k) -> new LinkedHashMap<Object, Object>(m);
            default -> null;
        };
    }

    private static JinjaCallable listMethod(List<?> l, String name) {
        return switch (name) {
            case "index" -> (a, k) -> {
                Object x = new Args("index", a, k).check(1).get(0, "value", Args.REQUIRED);
                for (int i = 0; i < l.size(); i++) {
                    if (PyOps.eq(l.get(i), x)) {
                        return (long) i;
                    }
                }
                throw TemplateException.value(PyText.repr(x) + " is not in list");
            };
            case "count" -> (a, k) -> {
                Object x = new Args("count", a, k).check(1).get(0, "value", Args.REQUIRED);
                return l.stream().filter(o -> PyOps.eq(o, x)).count();
            };
            default -> null;
        };
    }

    private static JinjaCallable stringMethod(String s, String name) {
        return switch (name) {
            case "startswith", "endswith" -> (a, k) -> {
                Args args = new Args(name, a, k).check(3);
                Object p = args.get(0, "prefix", Args.REQUIRED);
                String sub = range(s, args);
                List<?> options = p instanceof Tuple t ? t : List.of(p == null ? "" : p);
                for (Object o : options) {
                    String t = PyOps.text(o);
                    if (t == null) {
                        PyOps.undefinedCheck(o);
                        throw TemplateException.type(name + " first arg must be str or a tuple of str, not " + PyText.typeName(o));
                    }
                    if (name.equals("startswith") ? sub.startsWith(t) : sub.endsWith(t)) {
                        return true;
                    }
                }
                return false;
            };
            case "strip", "lstrip", "rstrip" -> (a, k) -> {
                String chars = new Args(name, a, k).check(1).string(0, "chars", null);
                return PyStrings.strip(s, chars, !name.equals("rstrip"), !name.equals("lstrip"));
            };
            case "split", "rsplit" -> (a, k) -> {
                Args args = new Args(name, a, k).check(2, "sep", "maxsplit");
                return PyStrings.split(s, args.string(0, "sep", null), args.integer(1, "maxsplit", -1), name.equals("rsplit"));
            };
            case "splitlines" -> (a, k) -> PyStrings.splitlines(s, new Args(name, a, k).check(1, "keepends").flag(0, "keepends", false));
            case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower", "casefold" -> (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (a, k) -> PyStrings.title(s);
            case "capitalize" -> (a, k) -> PyStrings.capitalize(s);
            case "swapcase" -> (a, k) -> PyStrings.swapcase(s);
            case "replace" -> (a, k) -> {
                Args args = new Args(name, a, k).check(3, "count");
                return PyStrings.replace(s, args.string(0, "old", null), args.string(1, "new", null), args.integer(2, "count", -1));
            };
            case "find", "rfind", "index", "rindex" -> (a, k) -> {
                Args args = new Args(name, a, k).check(3);
                String sub = args.string(0, "sub", null);
                if (sub == null) {
                    throw TemplateException.type("must be str, not NoneType");
                }
                String hay = range(s, args);
                int at = name.startsWith("r") ? hay.lastIndexOf(sub) : hay.indexOf(sub);
                if (at < 0 && name.endsWith("index")) {
                    throw TemplateException.value("substring not found");
                }
                return at < 0 ? -1L : (long) (hay.codePointCount(0, at) + startOffset(s, args));
            };
            case "count" -> (a, k) -> {
                Args args = new Args(name, a, k).check(3);
                String sub = args.string(0, "sub", null);
                String hay = range(s, args);
                if (sub == null) {
                    throw TemplateException.type("must be str, not NoneType");
                }
                if (sub.isEmpty()) {
                    return (long) hay.codePointCount(0, hay.length()) + 1;
                }
                long n = 0;
                for (int i = hay.indexOf(sub); i >= 0; i = hay.indexOf(sub, i + sub.length())) {
                    n++;
                }
                return n;
            };
            case "format" -> (a, k) -> PyFormat.format(s, a, k);
            case "join" -> (a, k) -> {
                Object items = new Args(name, a, k).check(1).get(0, "iterable", Args.REQUIRED);
                StringBuilder sb = new StringBuilder();
                int i = 0;
                for (Object o : PyOps.iterate(items)) {
                    String t = PyOps.text(o);
                    if (t == null) {
                        throw TemplateException.type("sequence item " + i + ": expected str instance, " + PyText.typeName(o) + " found");
                    }
                    sb.append(i++ == 0 ? "" : s).append(t);
                    PyOps.bounded(sb.toString());
                }
                return sb.toString();
            };
            case "isdigit", "isnumeric", "isdecimal" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(PyStrings::isSpace);
            case "isupper" -> (a, k) -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower" -> (a, k) -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            case "removeprefix" -> (a, k) -> {
                String p = new Args(name, a, k).check(1).string(0, "prefix", "");
                return p != null && s.startsWith(p) ? s.substring(p.length()) : s;
            };
            case "removesuffix" -> (a, k) -> {
                String p = new Args(name, a, k).check(1).string(0, "suffix", "");
                return p != null && !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            };
            case "center", "ljust", "rjust" -> (a, k) -> {
                Args args = new Args(name, a, k).check(2);
                long width = Math.min(args.integer(0, "width", 0), PyOps.MAX_SEQUENCE);
                String fill = args.string(1, "fillchar", " ");
                return PyStrings.pad(s, (int) width, fill == null ? " " : fill, name);
            };
            case "zfill" -> (a, k) -> {
                long width = Math.min(new Args(name, a, k).check(1).integer(0, "width", 0), PyOps.MAX_SEQUENCE);
                int len = s.codePointCount(0, s.length());
                if (len >= width) {
                    return s;
                }
                String zeros = "0".repeat((int) width - len);
                return !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
            };
            default -> null;
        };
    }

    private static int startOffset(String s, Args args) {
        Object start = args.get(1, "start", null);
        if (start == null) {
            return 0;
        }
        int n = s.codePointCount(0, s.length());
        long i = PyOps.asLong(start);
        return (int) Math.max(0, Math.min(n, i < 0 ? i + n : i));
    }

    // the part of s a start/end pair (arguments 1 and 2) selects, as find/startswith/count take it
    private static String range(String s, Args args) {
        Object start = args.get(1, "start", null);
        Object end = args.get(2, "end", null);
        if (start == null && end == null) {
            return s;
        }
        return (String) Access.slice(s, start, end, null);
    }
}
