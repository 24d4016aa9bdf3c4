package dev.jllm.formats.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's tests, used as {@code value is name(args)} and by {@code select}/{@code reject}. */
final class Tests {
    private static final Set<String> NAMES = Set.of("defined", "undefined", "none", "boolean", "true", "false", "integer",
            "float", "number", "string", "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "in", "lower",
            "upper", "even", "odd", "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<", "lessthan", "le", "<=",
            "gt", ">", "greaterthan", "ge", ">=", "filter", "test");

    private Tests() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    private static final Set<String> UNARY = Set.of("defined", "undefined", "none", "boolean", "true", "false", "integer",
            "float", "number", "string", "mapping", "iterable", "sequence", "escaped", "lower", "upper", "even", "odd");

    static boolean apply(Renderer renderer, String name, Object v, Args args) {
        if (UNARY.contains(name) && (args.size() > 0 || !args.keywords().isEmpty())) {
            throw TemplateException.type("test_" + name + "() takes 1 positional argument but " + (args.size() + 1) + " were given");
        }
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> PyOps.isNumber(v);
            case "string" -> PyOps.isString(v);
            case "mapping" -> v instanceof Map;
            case "iterable" -> PyOps.iterable(v);
            case "sequence" -> (v instanceof List && !(v instanceof DictView)) || v instanceof Map || PyOps.isString(v) || v instanceof Undefined;
            case "callable" -> v instanceof JinjaCallable || v instanceof Undefined;
            case "sameas" -> {
                Object other = args.get(0, "other", Args.REQUIRED);
                yield v == other || (v == null && other == null) || (v instanceof Boolean && v.equals(other));
            }
            case "escaped" -> v instanceof Markup;
            case "in" -> PyOps.contains(args.get(0, "seq", Args.REQUIRED), v);
            case "lower" -> {
                String s = PyText.str(v);
                yield s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            }
            case "upper" -> {
                String s = PyText.str(v);
                yield s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            }
            case "even", "odd" -> PyOps.eq(PyOps.arithmetic("%", v, 2L), name.equals("even") ? 0L : 1L);
            case "divisibleby" -> PyOps.eq(PyOps.arithmetic("%", v, args.get(0, "num", Args.REQUIRED)), 0L);
            case "equalto", "eq", "==" -> PyOps.eq(v, args.get(0, "other", Args.REQUIRED));
            case "ne", "!=" -> !PyOps.eq(v, args.get(0, "other", Args.REQUIRED));
            case "lt", "<", "lessthan" -> PyOps.compare(v, args.get(0, "other", Args.REQUIRED), "<") < 0;
            case "le", "<=" -> PyOps.compare(v, args.get(0, "other", Args.REQUIRED), "<=") <= 0;
            case "gt", ">", "greaterthan" -> PyOps.compare(v, args.get(0, "other", Args.REQUIRED), ">") > 0;
            case "ge", ">=" -> PyOps.compare(v, args.get(0, "other", Args.REQUIRED), ">=") >= 0;
            case "filter" -> Filters.exists(PyText.str(v));
            case "test" -> exists(PyText.str(v));
            default -> throw new TemplateException("TemplateRuntimeError", "No test named '" + name + "' found.", 0, 0);
        };
    }
}
