package dev.jllm.formats.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's semantics for the operators Jinja2 passes straight to Python: truth, equality, ordering, arithmetic, {@code in}, {@code len}, iteration. */
final class PyOps {
    /** Longest string or list an operator may build; beyond it the template is stopped. */
    static final int MAX_SEQUENCE = 4_000_000;

    private PyOps() {
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof Markup m) {
            return !m.text().isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isString(Object v) {
        return v instanceof String || v instanceof Markup;
    }

    /** A string's text (plain or markup); {@code null} for anything else. */
    static String text(Object v) {
        return v instanceof String s ? s : v instanceof Markup m ? m.text() : null;
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : (Long) v;
    }

    static double asDouble(Object v) {
        return v instanceof Double d ? d : asLong(v);
    }

    /** Python's {@code a == b}. */
    static boolean eq(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return asDouble(a) == asDouble(b);
            }
            return asLong(a) == asLong(b);
        }
        String ta = text(a);
        if (ta != null) {
            String tb = text(b);
            return ta.equals(tb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || (a instanceof DictView) != (b instanceof DictView)
                    || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !eq(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a != null && a.equals(b);
    }

    /** Python's ordering of {@code a} and {@code b} for operator {@code op}; TypeError across types. */
    static int compare(Object a, Object b, String op) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return Double.compare(asDouble(a), asDouble(b));
            }
            return Long.compare(asLong(a), asLong(b));
        }
        String ta = text(a);
        String tb = text(b);
        if (ta != null && tb != null) {
            return compareCodePoints(ta, tb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof Tuple) == (b instanceof Tuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw TemplateException.type("'" + op + "' not supported between instances of '" + PyText.typeName(a)
                + "' and '" + PyText.typeName(b) + "'");
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    static void undefinedCheck(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
    }

    /** Python's {@code needle in haystack}. */
    static boolean contains(Object haystack, Object needle) {
        String text = text(haystack);
        if (text != null) {
            String n = text(needle);
            if (n == null) {
                throw TemplateException.type("'in <string>' requires string as left operand, not " + PyText.typeName(needle));
            }
            return text.contains(n);
        }
        if (haystack instanceof Map<?, ?> m) {
            return m.containsKey(key(needle));
        }
        if (haystack instanceof Undefined) {
            return false;
        }
        if (!iterable(haystack)) {
            throw TemplateException.type("argument of type '" + PyText.typeName(haystack) + "' is not iterable");
        }
        for (Object o : iterate(haystack)) {
            if (eq(o, needle)) {
                return true;
            }
        }
        return false;
    }

    /** A dict key as this interpreter stores it: integral floats as ints, markup as plain strings. */
    static Object key(Object k) {
        if (k instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9e15) {
            return (long) (double) d;
        }
        if (k instanceof Markup m) {
            return m.text();
        }
        if (k instanceof List<?> || k instanceof Map<?, ?>) {
            if (!(k instanceof Tuple)) {
                throw TemplateException.type("unhashable type: '" + PyText.typeName(k) + "'");
            }
        }
        return k;
    }

    /** Python's {@code len(v)}. */
    static int length(Object v) {
        String t = text(v);
        if (t != null) {
            return t.codePointCount(0, t.length());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        if (v instanceof Namespace ns) {
            throw TemplateException.type("object of type 'Namespace' has no len()");
        }
        throw TemplateException.type("object of type '" + PyText.typeName(v) + "' has no len()");
    }

    /** The items a Python {@code for} over {@code v} visits. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> items = (List<Object>) l;
            return items;
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        String t = text(v);
        if (t != null) {
            List<Object> chars = new ArrayList<>(t.length());
            t.codePoints().forEach(cp -> chars.add(Character.toString(cp)));
            return chars;
        }
        if (v instanceof Undefined) {
            return List.of();
        }
        if (v instanceof PyIterator it) {
            return it.drain();
        }
        throw TemplateException.type("'" + PyText.typeName(v) + "' object is not iterable");
    }

    static boolean iterable(Object v) {
        return v instanceof List || v instanceof Map || isString(v) || v instanceof Undefined || v instanceof PyIterator;
    }

    // ---- arithmetic ----

    static Object add(Object a, Object b) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) {
                return asDouble(a) + asDouble(b);
            }
            try {
                return Math.addExact(asLong(a), asLong(b));
            } catch (ArithmeticException e) {
                throw TemplateException.limit("integer overflow in +");
            }
        }
        if (a instanceof Markup ma && isString(b)) {
            return new Markup(bounded(ma.text() + Markup.of(b).text()));
        }
        if (a instanceof String sa) {
            if (b instanceof Markup mb) {
                return new Markup(bounded(Markup.escape(sa) + mb.text()));
            }
            if (b instanceof String sb) {
                return bounded(sa + sb);
            }
            throw TemplateException.type("can only concatenate str (not \"" + PyText.typeName(b) + "\") to str");
        }
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof Tuple) == (b instanceof Tuple)) {
            if ((long) la.size() + lb.size() > MAX_SEQUENCE) {
                throw TemplateException.limit("list longer than " + MAX_SEQUENCE);
            }
            WorkBudget.charge((long) la.size() + lb.size());
            List<Object> out = new ArrayList<>(la);
            out.addAll(lb);
            return a instanceof Tuple ? Tuple.of(out) : out;
        }
        if (a instanceof List<?> && !(a instanceof DictView)) {
            String type = a instanceof Tuple ? "tuple" : "list";
            throw TemplateException.type("can only concatenate " + type + " (not \"" + PyText.typeName(b) + "\") to " + type);
        }
        throw unsupported("+", a, b);
    }

    static String bounded(String s) {
        WorkBudget.charge(s.length());
        if (s.length() > MAX_SEQUENCE) {
            throw TemplateException.limit("string longer than " + MAX_SEQUENCE + " characters");
        }
        return s;
    }

    static TemplateException unsupported(String op, Object a, Object b) {
        if (op.equals("*") && (isString(a) || a instanceof List || isString(b) || b instanceof List)) {
            Object other = isString(a) || a instanceof List ? b : a;
            return TemplateException.type("can't multiply sequence by non-int of type '" + PyText.typeName(other) + "'");
        }
        return TemplateException.type("unsupported operand type(s) for " + (op.equals("**") ? "** or pow()" : op) + ": '" + PyText.typeName(a) + "' and '"
                + PyText.typeName(b) + "'");
    }

    static Object arithmetic(String op, Object a, Object b) {
        undefinedCheck(a);
        undefinedCheck(b);
        if (op.equals("+")) {
            return add(a, b);
        }
        if (op.equals("*")) {
            if (isString(a) && isNumber(b) && !(b instanceof Double)) {
                return repeat(text(a), asLong(b));
            }
            if (isNumber(a) && !(a instanceof Double) && isString(b)) {
                return repeat(text(b), asLong(a));
            }
            if (a instanceof List<?> l && isNumber(b) && !(b instanceof Double)) {
                return repeat(l, asLong(b));
            }
            if (b instanceof List<?> l && isNumber(a) && !(a instanceof Double)) {
                return repeat(l, asLong(a));
            }
        }
        if (op.equals("%") && isString(a)) {
            return PyFormat.percent(text(a), b);
        }
        if (!isNumber(a) || !isNumber(b)) {
            throw unsupported(op, a, b);
        }
        boolean floats = a instanceof Double || b instanceof Double;
        switch (op) {
            case "/" -> {
                double y = asDouble(b);
                if (y == 0) {
                    throw new TemplateException("ZeroDivisionError", floats ? "float division by zero" : "division by zero", 0, 0);
                }
                return asDouble(a) / y;
            }
            case "//", "%" -> {
                if (floats) {
                    double x = asDouble(a);
                    double y = asDouble(b);
                    if (y == 0) {
                        throw new TemplateException("ZeroDivisionError", op.equals("//") ? "float floor division by zero" : "float modulo", 0, 0);
                    }
                    // CPython's float_divmod: the remainder takes the divisor's sign, zero included
                    double mod = x % y;
                    double div = (x - mod) / y;
                    if (mod != 0) {
                        if ((y < 0) != (mod < 0)) {
                            mod += y;
                            div -= 1.0;
                        }
                    } else {
                        mod = Math.copySign(0.0, y);
                    }
                    double floordiv;
                    if (div != 0) {
                        floordiv = Math.floor(div);
                        if (div - floordiv > 0.5) {
                            floordiv += 1.0;
                        }
                    } else {
                        floordiv = Math.copySign(0.0, x / y);
                    }
                    return op.equals("//") ? floordiv : mod;
                }
                long x = asLong(a);
                long y = asLong(b);
                if (y == 0) {
                    throw new TemplateException("ZeroDivisionError", op.equals("%") ? "integer modulo by zero" : "integer division or modulo by zero", 0, 0);
                }
                return op.equals("//") ? Math.floorDiv(x, y) : Math.floorMod(x, y);
            }
            case "**" -> {
                if (asDouble(a) == 0 && asDouble(b) < 0) {
                    throw new TemplateException("ZeroDivisionError", "0.0 cannot be raised to a negative power", 0, 0);
                }
                if (floats || asLong(b) < 0) {
                    return Math.pow(asDouble(a), asDouble(b));
                }
                return intPow(asLong(a), asLong(b));
            }
            default -> {
                if (floats) {
                    double x = asDouble(a);
                    double y = asDouble(b);
                    return op.equals("-") ? x - y : x * y;
                }
                try {
                    return op.equals("-") ? Math.subtractExact(asLong(a), asLong(b)) : Math.multiplyExact(asLong(a), asLong(b));
                } catch (ArithmeticException e) {
                    throw TemplateException.limit("integer overflow in " + op);
                }
            }
        }
    }

    private static long intPow(long base, long exp) {
        long result = 1;
        for (long i = 0; i < exp; i++) {
            if (base == 0 || base == 1) {
                return i == 0 && exp > 0 ? base : result;
            }
            try {
                result = Math.multiplyExact(result, base);
            } catch (ArithmeticException e) {
                throw TemplateException.limit("integer overflow in **");
            }
        }
        return result;
    }

    private static String repeat(String s, long n) {
        if (n <= 0 || s.isEmpty()) {
            return "";
        }
        if (n * s.length() > MAX_SEQUENCE) {
            throw TemplateException.limit("string longer than " + MAX_SEQUENCE + " characters");
        }
        WorkBudget.charge(n * s.length());
        return s.repeat((int) n);
    }

    private static Object repeat(List<?> l, long n) {
        List<Object> out = new ArrayList<>();
        if (n > 0 && !l.isEmpty()) {
            if (n * l.size() > MAX_SEQUENCE) {
                throw TemplateException.limit("list longer than " + MAX_SEQUENCE);
            }
            WorkBudget.charge(n * l.size());
            for (long i = 0; i < n; i++) {
                out.addAll(l);
            }
        }
        return l instanceof Tuple ? Tuple.of(out) : out;
    }

    static Object negate(Object v) {
        undefinedCheck(v);
        if (v instanceof Double d) {
            return -d;
        }
        if (isNumber(v)) {
            long l = asLong(v);
            if (l == Long.MIN_VALUE) {
                throw TemplateException.limit("integer overflow in unary -");
            }
            return -l;
        }
        throw TemplateException.type("bad operand type for unary -: '" + PyText.typeName(v) + "'");
    }

    static Object plus(Object v) {
        undefinedCheck(v);
        if (v instanceof Double) {
            return v;
        }
        if (isNumber(v)) {
            return asLong(v);
        }
        throw TemplateException.type("bad operand type for unary +: '" + PyText.typeName(v) + "'");
    }

    /** A Python list of {@code it}'s remaining items (for list() and friends). */
    static List<Object> toList(Object v) {
        return new ArrayList<>(iterate(v));
    }
}
