package dev.jllm.formats.template;

import java.util.List;
import java.util.Map;

/** Python's two string formatting languages as far as templates use them: {@code "%s" % x} and {@code "{}".format(x)}. */
final class PyFormat {
    private PyFormat() {
    }

    /** {@code format % args}: %s %r %d %i %f %x %% with optional flags, width and precision. */
    static String percent(String format, Object args) {
        List<?> values = args instanceof Tuple t ? t : List.of(args == null ? NONE : args);
        Map<?, ?> named = args instanceof Map<?, ?> m ? m : null;
        StringBuilder sb = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i++);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i >= format.length()) {
                throw TemplateException.value("incomplete format");
            }
            Object value;
            String key = null;
            if (format.charAt(i) == '(') {
                int close = format.indexOf(')', i);
                if (close < 0) {
                    throw TemplateException.value("incomplete format key");
                }
                key = format.substring(i + 1, close);
                i = close + 1;
            }
            int specStart = i;
            while (i < format.length() && "-+ #0123456789.".indexOf(format.charAt(i)) >= 0) {
                i++;
            }
            if (i >= format.length()) {
                throw TemplateException.value("incomplete format");
            }
            String spec = format.substring(specStart, i);
            char conv = format.charAt(i++);
            if (conv == '%') {
                sb.append('%');
                continue;
            }
            if (key != null) {
                if (named == null) {
                    throw TemplateException.type("format requires a mapping");
                }
                value = named.get(key);
            } else {
                if (next >= values.size()) {
                    throw TemplateException.type("not enough arguments for format string");
                }
                value = values.get(next++);
                value = value == NONE ? null : value;
            }
            sb.append(convert(spec, conv, value));
        }
        // like Python, leftover arguments are an error unless the argument is a list (which Python treats as a mapping)
        if (named == null && next < values.size() && !(args instanceof List && !(args instanceof Tuple))) {
            throw TemplateException.type("not all arguments converted during string formatting");
        }
        return PyOps.bounded(sb.toString());
    }

    private static final Object NONE = new Object();

    private static String convert(String spec, char conv, Object value) {
        PyOps.undefinedCheck(value);
        String body;
        int width = 0;
        int precision = -1;
        boolean left = spec.contains("-");
        boolean zero = spec.startsWith("0") || spec.contains("+0") || spec.contains("-0");
        String digits = spec.replaceAll("[-+ #]", "");
        int dot = digits.indexOf('.');
        try {
            String w = dot >= 0 ? digits.substring(0, dot) : digits;
            if (!w.isEmpty()) {
                width = Math.min(Integer.parseInt(w), 10_000);
            }
            if (dot >= 0) {
                String p = digits.substring(dot + 1);
                precision = p.isEmpty() ? 0 : Math.min(Integer.parseInt(p), 100);
            }
        } catch (NumberFormatException e) {
            throw TemplateException.value("bad format specification " + spec);
        }
        switch (conv) {
            case 's' -> body = PyText.str(value);
            case 'r' -> body = PyText.repr(value);
            case 'd', 'i' -> {
                if (!PyOps.isNumber(value)) {
                    throw TemplateException.type("%" + conv + " format: a real number is required, not " + PyText.typeName(value));
                }
                body = Long.toString(value instanceof Double d ? (long) (double) d : PyOps.asLong(value));
            }
            case 'f', 'F' -> {
                if (!PyOps.isNumber(value)) {
                    throw TemplateException.type("must be real number, not " + PyText.typeName(value));
                }
                body = new java.math.BigDecimal(PyOps.asDouble(value)).setScale(precision < 0 ? 6 : precision,
                        java.math.RoundingMode.HALF_EVEN).toPlainString();
            }
            case 'x', 'X' -> {
                if (!PyOps.isNumber(value) || value instanceof Double) {
                    throw TemplateException.type("%x format: an integer is required, not " + PyText.typeName(value));
                }
                body = Long.toHexString(PyOps.asLong(value));
                body = conv == 'X' ? body.toUpperCase(java.util.Locale.ROOT) : body;
            }
            default -> throw TemplateException.value("unsupported format character '" + conv + "'");
        }
        if (precision >= 0 && (conv == 's' || conv == 'r') && body.length() > precision) {
            body = body.substring(0, precision);
        }
        if (spec.contains("+") && (conv == 'd' || conv == 'i' || conv == 'f') && !body.startsWith("-")) {
            body = "+" + body;
        }
        if (body.length() < width) {
            String pad = (zero && !left && conv != 's' && conv != 'r' ? "0" : " ").repeat(width - body.length());
            body = left ? body + pad : pad.charAt(0) == '0' && body.startsWith("-") ? "-" + pad + body.substring(1) : pad + body;
        }
        return body;
    }

    /** {@code template.format(*args, **kwargs)}: {@code {}}, {@code {0}}, {@code {name}}, {@code {{}} and {@code }}}, with {@code !r}/{@code !s}. */
    static String format(String template, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                sb.append('{');
                i += 2;
            } else if (c == '}' && i + 1 < template.length() && template.charAt(i + 1) == '}') {
                sb.append('}');
                i += 2;
            } else if (c == '{') {
                int close = template.indexOf('}', i);
                if (close < 0) {
                    throw TemplateException.value("expected '}' before end of string");
                }
                String field = template.substring(i + 1, close);
                i = close + 1;
                String conv = null;
                int bang = field.indexOf('!');
                int colon = field.indexOf(':');
                String spec = colon >= 0 ? field.substring(colon + 1) : "";
                String name = field.substring(0, bang >= 0 ? bang : colon >= 0 ? colon : field.length());
                if (bang >= 0) {
                    conv = field.substring(bang + 1, colon > bang ? colon : field.length());
                }
                Object value;
                if (name.isEmpty()) {
                    if (auto >= args.size()) {
                        throw new TemplateException("IndexError", "Replacement index " + auto + " out of range for positional args tuple", 0, 0);
                    }
                    value = args.get(auto++);
                } else if (name.chars().allMatch(Character::isDigit)) {
                    int idx = Integer.parseInt(name.length() > 6 ? "999999" : name);
                    if (idx >= args.size()) {
                        throw new TemplateException("IndexError", "Replacement index " + idx + " out of range for positional args tuple", 0, 0);
                    }
                    value = args.get(idx);
                } else {
                    if (!kwargs.containsKey(name)) {
                        throw new TemplateException("KeyError", PyText.repr(name), 0, 0);
                    }
                    value = kwargs.get(name);
                }
                String s = "r".equals(conv) ? PyText.repr(value) : PyText.str(value);
                if (!spec.isEmpty()) {
                    s = alignSpec(s, spec);
                }
                sb.append(s);
            } else if (c == '}') {
                throw TemplateException.value("Single '}' encountered in format string");
            } else {
                sb.append(c);
                i++;
            }
        }
        return PyOps.bounded(sb.toString());
    }

    // only fill/align/width of a format spec: enough for the text templates write
    private static String alignSpec(String s, String spec) {
        char align = '<';
        char fill = ' ';
        String rest = spec;
        if (rest.length() >= 2 && "<>^".indexOf(rest.charAt(1)) >= 0) {
            fill = rest.charAt(0);
            align = rest.charAt(1);
            rest = rest.substring(2);
        } else if (!rest.isEmpty() && "<>^".indexOf(rest.charAt(0)) >= 0) {
            align = rest.charAt(0);
            rest = rest.substring(1);
        }
        if (rest.isEmpty() || !rest.chars().allMatch(Character::isDigit) || rest.length() > 5) {
            throw TemplateException.value("unsupported format spec '" + spec + "'");
        }
        int width = Integer.parseInt(rest);
        int len = s.codePointCount(0, s.length());
        if (len >= width) {
            return s;
        }
        int pad = width - len;
        String f = String.valueOf(fill);
        return switch (align) {
            case '>' -> f.repeat(pad) + s;
            case '^' -> f.repeat(pad / 2) + s + f.repeat(pad - pad / 2);
            default -> s + f.repeat(pad);
        };
    }
}
