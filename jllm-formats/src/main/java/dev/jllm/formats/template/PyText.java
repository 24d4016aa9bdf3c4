package dev.jllm.formats.template;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/** Python's {@code str()} and {@code repr()} of template values, and Python's type names for messages. */
final class PyText {
    private PyText() {
    }

    /** Python's {@code str(value)}: what {@code {{ value }}} prints. */
    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Long l) {
            return Long.toString(l);
        }
        if (v instanceof Double d) {
            return floatRepr(d);
        }
        if (v instanceof Markup m) {
            return m.text();
        }
        if (v instanceof Undefined) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v, 0);
        return sb.toString();
    }

    /** Python's {@code repr(value)}. */
    static String repr(Object v) {
        StringBuilder sb = new StringBuilder();
        appendRepr(sb, v, 0);
        return sb.toString();
    }

    private static void appendRepr(StringBuilder sb, Object v, int depth) {
        if (depth > 100) {
            throw TemplateException.limit("value nested too deeply to print");
        }
        if (v instanceof String s) {
            appendStringRepr(sb, s);
        } else if (v instanceof Markup m) {
            sb.append("Markup(");
            appendStringRepr(sb, m.text());
            sb.append(')');
        } else if (v instanceof Tuple t) {
            sb.append('(');
            for (int i = 0; i < t.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                appendRepr(sb, t.get(i), depth + 1);
            }
            sb.append(t.size() == 1 ? ",)" : ")");
        } else if (v instanceof DictView view) {
            sb.append(view.typeName).append('(');
            appendRepr(sb, new java.util.ArrayList<>(view), depth + 1);
            sb.append(')');
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                appendRepr(sb, list.get(i), depth + 1);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                appendRepr(sb, e.getKey(), depth + 1);
                sb.append(": ");
                appendRepr(sb, e.getValue(), depth + 1);
            }
            sb.append('}');
        } else if (v instanceof Undefined) {
            sb.append("Undefined");
        } else if (v instanceof Namespace ns) {
            sb.append("<Namespace ");
            appendRepr(sb, ns.attributes, depth + 1);
            sb.append('>');
        } else if (v instanceof PyIterator it) {
            sb.append('<').append(it.typeName).append(" object>");
        } else if (v instanceof JinjaCallable) {
            sb.append("<function>");
        } else if (v instanceof LoopState) {
            sb.append("<LoopContext>");
        } else {
            sb.append(str(v));
        }
    }

    private static void appendStringRepr(StringBuilder sb, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        sb.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else if (cp >= 0x80 && !printable(cp)) {
                sb.append(cp <= 0xff ? String.format("\\x%02x", cp)
                        : cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        }
        sb.append(quote);
    }

    // Python's str.isprintable: everything but separators other than space, and control/format/unassigned/surrogates
    private static boolean printable(int cp) {
        int t = Character.getType(cp);
        return t != Character.CONTROL && t != Character.FORMAT && t != Character.UNASSIGNED
                && t != Character.SURROGATE && t != Character.PRIVATE_USE && t != Character.LINE_SEPARATOR
                && t != Character.PARAGRAPH_SEPARATOR && (t != Character.SPACE_SEPARATOR || cp == ' ');
    }

    /** Python's {@code repr(float)}: the shortest digits that read back to the same double. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        // value = 0.digits * 10^decpt
        int decpt = digits.length() - exact.scale();
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            sb.append(e.length() < 2 ? "0" + e : e);
        }
        return sb.toString();
    }

    /** Python's type name of a value: {@code str}, {@code int}, {@code NoneType}, … */
    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof Markup) {
            return "Markup";
        }
        if (v instanceof Tuple) {
            return "tuple";
        }
        if (v instanceof DictView view) {
            return view.typeName;
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        if (v instanceof PyIterator it) {
            return it.typeName;
        }
        if (v instanceof LoopState) {
            return "LoopContext";
        }
        return "function";
    }

    /** How Jinja2 names the owner of a missing attribute: {@code None}, {@code dict object}, … */
    static String typeReprForMissing(Object owner) {
        if (owner == null) {
            return "None";
        }
        if (owner instanceof Namespace) {
            return "jinja2.utils.Namespace object";
        }
        if (owner instanceof LoopState) {
            return "jinja2.runtime.LoopContext object";
        }
        if (owner instanceof Markup) {
            return "markupsafe.Markup object";
        }
        return typeName(owner) + " object";
    }
}
