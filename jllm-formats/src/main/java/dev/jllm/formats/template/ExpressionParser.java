package dev.jllm.formats.template;

import dev.jllm.formats.template.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The expression grammar of Jinja2: precedence from conditional expressions down to literals, filters and tests. */
class ExpressionParser extends TokenStream {
    /** Inside an if statement or conditional expression, where Jinja2 reports unknown filters and tests only when run. */
    boolean soft;
    /** Unknown filters and tests outside soft frames, reported once the whole template is read (a later `if` may soften them). */
    final List<TemplateException> unknown = new ArrayList<>();
    private Expr.Slice lastSlice;

    ExpressionParser(List<Token> tokens) {
        super(tokens);
    }

    /** An expression or a tuple of them separated by commas. */
    Expr tuple(boolean condexpr, boolean explicitParens) {
        Token start = peek();
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) {
                expect(Kind.OPERATOR, ",");
            }
            Token t = peek();
            if (t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOperator(")")) {
                break;
            }
            items.add(expression(condexpr));
            if (peek().isOperator(",")) {
                isTuple = true;
            } else {
                break;
            }
        }
        if (!isTuple) {
            if (!items.isEmpty()) {
                return items.get(0);
            }
            if (!explicitParens) {
                throw error("Expected an expression, got " + peek().describe(), peek());
            }
        }
        return new Expr.TupleLiteral(items, start.line());
    }

    Expr expression(boolean condexpr) {
        return condexpr ? conditional() : or();
    }

    private Expr conditional() {
        int pending = unknown.size();
        boolean outer = soft;
        Expr e = or();
        while (peek().isName("if")) {
            int line = next().line();
            // the whole conditional expression is a soft frame, including the part read before `if`
            unknown.subList(pending, unknown.size()).clear();
            soft = true;
            Expr cond = or();
            Expr otherwise = acceptName("else") ? conditional() : null;
            e = new Expr.Conditional(cond, e, otherwise, line);
            soft = outer;
        }
        return e;
    }

    private Expr or() {
        Expr e = and();
        while (peek().isName("or")) {
            int line = next().line();
            e = new Expr.Or(e, and(), line);
        }
        return e;
    }

    private Expr and() {
        Expr e = not();
        while (peek().isName("and")) {
            int line = next().line();
            e = new Expr.And(e, not(), line);
        }
        return e;
    }

    private Expr not() {
        if (peek().isName("not")) {
            Token t = next();
            enter(t);
            Expr e = new Expr.Unary("not", not(), t.line());
            depth--;
            return e;
        }
        return compare();
    }

    private Expr compare() {
        int line = peek().line();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OPERATOR && Set.of("==", "!=", "<", "<=", ">", ">=").contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, rest, line);
    }

    private Expr math1() {
        Expr e = concat();
        while (peek().isOperator("+") || peek().isOperator("-")) {
            Token t = next();
            e = new Expr.Binary(t.text(), e, concat(), t.line());
        }
        return e;
    }

    private Expr concat() {
        Expr e = math2();
        while (peek().isOperator("~")) {
            Token t = next();
            e = new Expr.Binary("~", e, math2(), t.line());
        }
        return e;
    }

    private Expr math2() {
        Expr e = pow();
        while (peek().kind() == Kind.OPERATOR && Set.of("*", "/", "//", "%").contains(peek().text())) {
            Token t = next();
            e = new Expr.Binary(t.text(), e, pow(), t.line());
        }
        return e;
    }

    private Expr pow() {
        Expr e = unary(true);
        while (peek().isOperator("**")) {
            Token t = next();
            e = new Expr.Binary("**", e, unary(true), t.line());
        }
        return e;
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        enter(t);
        Expr e;
        if (t.isOperator("-") || t.isOperator("+")) {
            next();
            e = new Expr.Unary(t.text(), unary(false), t.line());
        } else {
            e = primary();
        }
        e = postfix(e);
        if (withFilter) {
            e = filterExpression(e);
        }
        depth--;
        return e;
    }

    private Expr primary() {
        Token t = next();
        int line = t.line();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE, line);
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE, line);
                    case "none", "None" -> new Expr.Literal(null, line);
                    default -> new Expr.Name(t.text(), line);
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder((String) t.value());
                while (peek().kind() == Kind.STRING) {
                    sb.append((String) next().value());
                }
                return new Expr.Literal(sb.toString(), line);
            }
            case INTEGER, FLOAT -> {
                return new Expr.Literal(t.value(), line);
            }
            case OPERATOR -> {
                switch (t.text()) {
                    case "(" -> {
                        Expr e = tuple(true, true);
                        expect(Kind.OPERATOR, ")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOperator("]")) {
                            if (!items.isEmpty()) {
                                expect(Kind.OPERATOR, ",");
                                if (peek().isOperator("]")) {
                                    break;
                                }
                            }
                            items.add(expression(true));
                        }
                        next();
                        return new Expr.ListLiteral(items, line);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOperator("}")) {
                            if (!keys.isEmpty()) {
                                expect(Kind.OPERATOR, ",");
                                if (peek().isOperator("}")) {
                                    break;
                                }
                            }
                            keys.add(expression(true));
                            expect(Kind.OPERATOR, ":");
                            values.add(expression(true));
                        }
                        next();
                        return new Expr.DictLiteral(keys, values, line);
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw error("unexpected " + t.describe(), t);
    }

    private Expr postfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOperator(".") || t.isOperator("[")) {
                e = subscript(e);
            } else if (t.isOperator("(")) {
                e = new Expr.Call(e, callArguments(), t.line());
            } else {
                return e;
            }
        }
    }

    private Expr filterExpression(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOperator("|")) {
                e = filterChain(e, false);
            } else if (t.isName("is")) {
                e = test(e);
            } else if (t.isOperator("(")) {
                e = new Expr.Call(e, callArguments(), t.line());
            } else {
                return e;
            }
        }
    }

    private Expr subscript(Expr target) {
        Token t = next();
        if (t.isOperator(".")) {
            Token name = next();
            if (name.kind() == Kind.NAME) {
                return new Expr.Attribute(target, name.text(), t.line());
            }
            if (name.kind() == Kind.INTEGER) {
                return new Expr.Item(target, new Expr.Literal(name.value(), t.line()), t.line());
            }
            throw error("expected name or number", name);
        }
        List<Expr> keys = new ArrayList<>();
        Expr.Slice slice = null;
        while (!peek().isOperator("]")) {
            if (!keys.isEmpty() || slice != null) {
                expect(Kind.OPERATOR, ",");
                if (peek().isOperator("]")) {
                    break;
                }
            }
            Expr key = subscribed(target);
            if (key == null) {
                slice = lastSlice;
            } else {
                keys.add(key);
            }
        }
        next();
        if (slice != null && keys.isEmpty()) {
            return slice;
        }
        if (slice != null) {
            throw error("slices in tuples are not supported", t);
        }
        if (keys.isEmpty()) {
            // Jinja2 reads `x[]` as `x[()]`
            return new Expr.Item(target, new Expr.TupleLiteral(List.of(), t.line()), t.line());
        }
        if (keys.size() == 1) {
            return new Expr.Item(target, keys.get(0), t.line());
        }
        return new Expr.Item(target, new Expr.TupleLiteral(keys, t.line()), t.line());
    }

    // the key of a subscript; null when it is a slice, which is then left in lastSlice
    private Expr subscribed(Expr target) {
        int line = peek().line();
        Expr start = null;
        if (!peek().isOperator(":")) {
            start = expression(true);
            if (!peek().isOperator(":")) {
                return start;
            }
        }
        next();
        Expr stop = null;
        Expr step = null;
        if (!peek().isOperator("]") && !peek().isOperator(",") && !peek().isOperator(":")) {
            stop = expression(true);
        }
        if (acceptOperator(":")) {
            if (!peek().isOperator("]") && !peek().isOperator(",")) {
                step = expression(true);
            }
        }
        lastSlice = new Expr.Slice(target, start, stop, step, line);
        return null;
    }

    private Expr.Arguments callArguments() {
        expect(Kind.OPERATOR, "(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> keywords = new ArrayList<>();
        boolean first = true;
        while (!peek().isOperator(")")) {
            if (!first) {
                expect(Kind.OPERATOR, ",");
                if (peek().isOperator(")")) {
                    break;
                }
            }
            first = false;
            Token t = peek();
            if (t.isOperator("*") || t.isOperator("**")) {
                throw error("*args and **kwargs in calls are not supported", t);
            }
            if (t.kind() == Kind.NAME && peek(1).isOperator("=")) {
                next();
                next();
                if (names.contains(t.text())) {
                    throw error("keyword argument repeated: " + t.text(), t);
                }
                names.add(t.text());
                keywords.add(expression(true));
            } else {
                if (!names.isEmpty()) {
                    throw error("positional argument follows keyword argument", t);
                }
                positional.add(expression(true));
            }
        }
        next();
        return new Expr.Arguments(positional, names, keywords);
    }

    // `| name(args) | name…`; with `inline` the first `|` has already been read or is absent
    Expr filterChain(Expr value, boolean inline) {
        Expr e = value;
        boolean first = true;
        while (inline && first || peek().isOperator("|")) {
            if (!(inline && first)) {
                next();
            }
            first = false;
            Token t = peek();
            String name = dottedName();
            if (!Filters.exists(name) && !soft) {
                unknown.add(TemplateException.assertion("No filter named '" + name + "'.", t.line(), t.column()));
            }
            Expr.Arguments args = peek().isOperator("(") ? callArguments() : Expr.Arguments.NONE;
            e = new Expr.Filter(e, name, args, t.line());
        }
        return e;
    }

    private String dottedName() {
        StringBuilder name = new StringBuilder(expectName());
        while (peek().isOperator(".") && peek(1).kind() == Kind.NAME) {
            next();
            name.append('.').append(expectName());
        }
        return name.toString();
    }

    private Expr test(Expr value) {
        Token is = next();
        boolean negated = acceptName("not");
        Token t = peek();
        String name = dottedName();
        if (!Tests.exists(name) && !soft) {
            unknown.add(TemplateException.assertion("No test named '" + name + "'.", t.line(), t.column()));
        }
        Expr.Arguments args;
        Token n = peek();
        if (n.isOperator("(")) {
            args = callArguments();
        } else if ((n.kind() == Kind.NAME || n.kind() == Kind.STRING || n.kind() == Kind.INTEGER || n.kind() == Kind.FLOAT
                || n.isOperator("(") || n.isOperator("[") || n.isOperator("{"))
                && !n.isName("else") && !n.isName("or") && !n.isName("and")) {
            if (n.isName("is")) {
                throw error("You cannot chain multiple tests with is", n);
            }
            enter(n);
            Expr arg = postfix(primary());
            depth--;
            args = new Expr.Arguments(List.of(arg), List.of(), List.of());
        } else {
            args = Expr.Arguments.NONE;
        }
        return new Expr.Test(value, name, args, negated, is.line());
    }
}
