package dev.jllm.formats.template;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template once: executes statements into an output buffer and evaluates expressions
 * with Python's semantics. Bounds output size, steps and call depth so that no template can run away.
 */
final class Renderer {
    private static final int NORMAL = 0;
    private static final int BREAK = 1;
    private static final int CONTINUE = 2;

    private final Limits limits;
    private StringBuilder out = new StringBuilder();
    private long steps;
    private int callDepth;

    Renderer(Limits limits) {
        this.limits = limits;
    }

    /** Bounds one rendering must stay within. */
    record Limits(int maxOutputChars, long maxSteps, int maxCallDepth) {
    }

    String render(List<Node> body, Scope scope) {
        exec(body, scope);
        return out.toString();
    }

    // ---- statements ----

    private int exec(List<Node> body, Scope scope) {
        for (Node node : body) {
            if (++steps > limits.maxSteps()) {
                throw TemplateException.limit("more than " + limits.maxSteps() + " steps").at(node.line());
            }
            int signal;
            try {
                signal = execOne(node, scope);
            } catch (TemplateException e) {
                throw e.at(node.line());
            }
            if (signal != NORMAL) {
                return signal;
            }
        }
        return NORMAL;
    }

    private void write(String s) {
        if (out.length() + s.length() > limits.maxOutputChars()) {
            throw TemplateException.limit("output longer than " + limits.maxOutputChars() + " characters");
        }
        out.append(s);
    }

    private int execOne(Node node, Scope scope) {
        switch (node) {
            case Node.Text t -> write(t.text());
            case Node.Output o -> write(PyText.str(eval(o.value(), scope)));
            case Node.If n -> {
                for (int i = 0; i < n.conditions().size(); i++) {
                    if (PyOps.truthy(eval(n.conditions().get(i), scope))) {
                        return exec(n.bodies().get(i), scope);
                    }
                }
                return exec(n.otherwise(), scope);
            }
            case Node.For f -> {
                return loop(f, eval(f.iterable(), scope), scope, 0);
            }
            case Node.Set s -> assign(s.names(), s.attributes(), s.unpack(), eval(s.value(), scope), scope);
            case Node.SetBlock s -> {
                Object value = capture(s.body(), new Scope(scope));
                if (s.filter() != null) {
                    value = applyFilters(s.filter(), value, scope);
                }
                assign(s.names(), s.attributes(), s.unpack(), value, scope);
            }
            case Node.Macro m -> scope.set(m.name(), macro(m.name(), m.params(), m.defaults(), m.body(), scope));
            case Node.CallBlock c -> {
                JinjaCallable caller = macro("caller", c.params(), c.defaults(), c.body(), scope);
                Expr.Call call = (Expr.Call) c.call();
                Object callee = eval(call.callee(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                arguments(call.args(), scope, args, kwargs);
                kwargs.put("caller", caller);
                write(PyText.str(invoke(callee, args, kwargs)));
            }
            case Node.FilterBlock f -> write(PyText.str(applyFilters(f.filter(), capture(f.body(), scope), scope)));
            case Node.With w -> {
                Scope inner = new Scope(scope);
                for (int i = 0; i < w.names().size(); i++) {
                    inner.set(w.names().get(i), eval(w.values().get(i), scope));
                }
                return exec(w.body(), inner);
            }
            case Node.Block b -> {
                return exec(b.body(), scope);
            }
            case Node.Break b -> {
                return BREAK;
            }
            case Node.Continue c -> {
                return CONTINUE;
            }
            case Node.Do d -> eval(d.value(), scope);
        }
        return NORMAL;
    }

    private String capture(List<Node> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            // a break or continue inside a set or filter block ends the block's body; the loop sees no signal
            exec(body, scope);
            return out.toString();
        } finally {
            int used = out.length();
            out = saved;
            if (used > limits.maxOutputChars()) {
                throw TemplateException.limit("output longer than " + limits.maxOutputChars() + " characters");
            }
        }
    }

    private int loop(Node.For f, Object iterable, Scope scope, int depth0) {
        List<Object> items = new ArrayList<>(PyOps.iterate(iterable));
        WorkBudget.charge(items.size());
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                bind(f.targets(), f.unpack(), item, s);
                if (PyOps.truthy(eval(f.filter(), s))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        if (items.isEmpty()) {
            return exec(f.otherwise(), scope);
        }
        JinjaCallable recurse = null;
        if (f.recursive()) {
            recurse = (args, kwargs) -> {
                if (args.size() != 1) {
                    throw TemplateException.type("loop() takes exactly one argument");
                }
                enterCall();
                StringBuilder saved = out;
                out = new StringBuilder();
                try {
                    loop(f, args.get(0), scope, depth0 + 1);
                    return out.toString();
                } finally {
                    out = saved;
                    callDepth--;
                }
            };
        }
        LoopState state = new LoopState(items, depth0, recurse);
        for (int i = 0; i < items.size(); i++) {
            if (++steps > limits.maxSteps()) {
                throw TemplateException.limit("more than " + limits.maxSteps() + " steps");
            }
            state.index0 = i;
            Scope s = new Scope(scope);
            bind(f.targets(), f.unpack(), items.get(i), s);
            s.set("loop", recurse == null ? state : new RecursiveLoop(state));
            if (exec(f.body(), s) == BREAK) {
                break;
            }
        }
        return NORMAL;
    }

    /** The {@code loop} of a recursive for: callable as {@code loop(children)}, with the usual attributes. */
    record RecursiveLoop(LoopState state) implements JinjaCallable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return state.recurse.call(args, kwargs);
        }
    }

    private static List<Object> unpack(Object value) {
        if (!PyOps.iterable(value)) {
            throw TemplateException.type("cannot unpack non-iterable " + PyText.typeName(value) + " object");
        }
        return PyOps.iterate(value);
    }

    private static void bind(List<String> targets, boolean unpack, Object value, Scope s) {
        if (!unpack) {
            s.set(targets.get(0), value);
            return;
        }
        List<Object> parts = unpack(value);
        if (parts.size() != targets.size()) {
            throw TemplateException.value(parts.size() < targets.size()
                    ? "not enough values to unpack (expected " + targets.size() + ", got " + parts.size() + ")"
                    : "too many values to unpack (expected " + targets.size() + ")");
        }
        for (int i = 0; i < targets.size(); i++) {
            s.set(targets.get(i), parts.get(i));
        }
    }

    private static void assign(List<String> names, List<String> attributes, boolean unpack, Object value, Scope scope) {
        if (!unpack) {
            assignOne(names.get(0), attributes.get(0), value, scope);
            return;
        }
        List<Object> parts = unpack(value);
        if (parts.size() != names.size()) {
            throw TemplateException.value(parts.size() < names.size()
                    ? "not enough values to unpack (expected " + names.size() + ", got " + parts.size() + ")"
                    : "too many values to unpack (expected " + names.size() + ")");
        }
        for (int i = 0; i < parts.size(); i++) {
            assignOne(names.get(i), attributes.get(i), parts.get(i), scope);
        }
    }

    private static void assignOne(String name, String attribute, Object value, Scope scope) {
        if (attribute == null) {
            scope.set(name, value);
            return;
        }
        if (!(scope.lookup(name) instanceof Namespace ns)) {
            throw new TemplateException("TemplateRuntimeError", "cannot assign attribute on non-namespace object", 0, 0);
        }
        ns.attributes.put(attribute, value);
    }

    private JinjaCallable macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Scope defined) {
        return (args, kwargs) -> {
            enterCall();
            try {
                Scope s = new Scope(defined);
                Map<String, Object> rest = new LinkedHashMap<>(kwargs);
                for (int i = 0; i < params.size(); i++) {
                    String p = params.get(i);
                    if (i < args.size()) {
                        if (rest.containsKey(p)) {
                            throw TemplateException.type("macro '" + name + "' got multiple values for argument '" + p + "'");
                        }
                        s.set(p, args.get(i));
                    } else if (rest.containsKey(p)) {
                        s.set(p, rest.remove(p));
                    } else if (defaults.get(i) != null) {
                        s.set(p, eval(defaults.get(i), s));
                    } else {
                        s.set(p, Undefined.hint("parameter " + PyText.repr(p) + " was not provided"));
                    }
                }
                if (rest.containsKey("caller")) {
                    s.set("caller", rest.remove("caller"));
                }
                s.set("varargs", new Tuple(args.size() > params.size() ? args.subList(params.size(), args.size()).toArray() : new Object[0]));
                s.set("kwargs", new LinkedHashMap<Object, Object>(rest));
                return capture(body, s);
            } finally {
                callDepth--;
            }
        };
    }

    private void enterCall() {
        if (++callDepth > limits.maxCallDepth()) {
            callDepth--;
            throw TemplateException.limit("calls nested deeper than " + limits.maxCallDepth());
        }
    }

    // ---- expressions ----

    Object eval(Expr e, Scope scope) {
        switch (e) {
            case Expr.Literal l -> {
                return l.value();
            }
            case Expr.Name n -> {
                Object v = scope.lookup(n.name());
                return v == Scope.MISSING ? Undefined.named(n.name()) : v;
            }
            case Expr.ListLiteral l -> {
                List<Object> items = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) {
                    items.add(eval(item, scope));
                }
                return items;
            }
            case Expr.TupleLiteral t -> {
                Object[] items = new Object[t.items().size()];
                for (int i = 0; i < items.length; i++) {
                    items[i] = eval(t.items().get(i), scope);
                }
                return new Tuple(items);
            }
            case Expr.DictLiteral d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    map.put(PyOps.key(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
                }
                return map;
            }
            case Expr.Attribute a -> {
                return Access.attribute(eval(a.target(), scope), a.name());
            }
            case Expr.Item i -> {
                return Access.item(eval(i.target(), scope), eval(i.key(), scope));
            }
            case Expr.Slice s -> {
                Object target = eval(s.target(), scope);
                return Access.slice(target, optional(s.start(), scope), optional(s.stop(), scope), optional(s.step(), scope));
            }
            case Expr.Call c -> {
                Object callee = eval(c.callee(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                arguments(c.args(), scope, args, kwargs);
                return invoke(callee, args, kwargs);
            }
            case Expr.Filter f -> {
                return applyFilters(f, null, scope);
            }
            case Expr.Test t -> {
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new HashMap<>();
                Object value = eval(t.value(), scope);
                arguments(t.args(), scope, args, kwargs);
                boolean result = Tests.apply(this, t.name(), value, new Args(t.name(), args, kwargs));
                return result != t.negated();
            }
            case Expr.Binary b -> {
                Object left = eval(b.left(), scope);
                Object right = eval(b.right(), scope);
                if (b.op().equals("~")) {
                    return PyOps.bounded(PyText.str(left) + PyText.str(right));
                }
                if (b.op().equals("**") && b.left() instanceof Expr.Unary u && u.op().equals("-")
                        && u.operand() instanceof Expr.Literal l && PyOps.isNumber(l.value()) && !constant(b.right())) {
                    // Jinja2 folds `-2` to a constant and writes `-2 ** x` into Python source, where it means -(2 ** x);
                    // with a constant exponent the whole power is folded first and keeps its usual meaning
                    return PyOps.negate(PyOps.arithmetic("**", l.value(), right));
                }
                return PyOps.arithmetic(b.op(), left, right);
            }
            case Expr.Unary u -> {
                Object v = eval(u.operand(), scope);
                return switch (u.op()) {
                    case "not" -> !PyOps.truthy(v);
                    case "-" -> PyOps.negate(v);
                    default -> PyOps.plus(v);
                };
            }
            case Expr.And a -> {
                Object left = eval(a.left(), scope);
                return PyOps.truthy(left) ? eval(a.right(), scope) : left;
            }
            case Expr.Or o -> {
                Object left = eval(o.left(), scope);
                return PyOps.truthy(left) ? left : eval(o.right(), scope);
            }
            case Expr.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    if (!compare(c.ops().get(i), left, right)) {
                        return false;
                    }
                    left = right;
                }
                return true;
            }
            case Expr.Conditional c -> {
                if (PyOps.truthy(eval(c.condition(), scope))) {
                    return eval(c.then(), scope);
                }
                return c.otherwise() == null
                        ? Undefined.hint("the inline if-expression on line " + c.line() + " evaluated to false and no else section was defined.")
                        : eval(c.otherwise(), scope);
            }
        }
    }

    // what Jinja2's optimizer folds at compile time: literals and operators on them
    private static boolean constant(Expr e) {
        return switch (e) {
            case Expr.Literal l -> true;
            case Expr.Unary u -> constant(u.operand());
            case Expr.Binary b -> constant(b.left()) && constant(b.right());
            default -> false;
        };
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> PyOps.eq(a, b);
            case "!=" -> !PyOps.eq(a, b);
            case "in" -> PyOps.contains(b, a);
            case "notin" -> !PyOps.contains(b, a);
            case "<" -> PyOps.compare(a, b, op) < 0;
            case "<=" -> PyOps.compare(a, b, op) <= 0;
            case ">" -> PyOps.compare(a, b, op) > 0;
            default -> PyOps.compare(a, b, op) >= 0;
        };
    }

    private void arguments(Expr.Arguments a, Scope scope, List<Object> args, Map<String, Object> kwargs) {
        for (Expr e : a.positional()) {
            args.add(eval(e, scope));
        }
        for (int i = 0; i < a.names().size(); i++) {
            kwargs.put(a.names().get(i), eval(a.keywords().get(i), scope));
        }
    }

    Object invoke(Object callee, List<Object> args, Map<String, Object> kwargs) {
        if (callee instanceof JinjaCallable f) {
            return f.call(args, kwargs);
        }
        if (callee instanceof Undefined u) {
            throw u.error();
        }
        throw TemplateException.type("'" + PyText.typeName(callee) + "' object is not callable");
    }

    // a filter chain; the innermost filter of a {% filter %} or {% set %} block chain applies to `blockValue`
    private Object applyFilters(Expr chain, Object blockValue, Scope scope) {
        Expr.Filter f = (Expr.Filter) chain;
        Object value = f.value() == null ? blockValue : f.value() instanceof Expr.Filter inner && blockValue != null
                ? applyFilters(inner, blockValue, scope) : eval(f.value(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        arguments(f.args(), scope, args, kwargs);
        return Filters.apply(this, f.name(), value, new Args(f.name(), args, kwargs));
    }
}
