package dev.jllm.formats.template;

import dev.jllm.formats.template.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds the statement tree of a template from its tokens, following Jinja2's grammar and operator precedence. */
final class Parser {
    /** Deepest nesting of blocks and expressions accepted; deeper input is refused rather than overflowing the stack. */
    private static final int MAX_DEPTH = 150;

    private final List<Token> tokens;
    private int p;
    private int depth;
    private int loops;
    /** Inside an if statement or conditional expression, where Jinja2 reports unknown filters and tests only when run. */
    private boolean soft;
    private Expr.Slice lastSlice;
    /** Unknown filters and tests outside soft frames, reported once the whole template is read (a later `if` may soften them). */
    private final List<TemplateException> unknown = new ArrayList<>();

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    /** The statements of {@code source}. */
    static List<Node> parse(String source) {
        Parser parser = new Parser(Lexer.tokenize(source));
        List<Node> body = parser.body(Set.of());
        if (!parser.unknown.isEmpty()) {
            throw parser.unknown.get(0);
        }
        return body;
    }

    // ---- token stream ----

    private Token peek() {
        return tokens.get(p);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(p + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(p);
        if (t.kind() != Kind.EOF) {
            p++;
        }
        return t;
    }

    private TemplateException error(String message, Token at) {
        return TemplateException.syntax(message, at.line(), at.column());
    }

    private Token expect(Kind kind, String text) {
        Token t = peek();
        if (t.kind() != kind || (text != null && !t.text().equals(text))) {
            String wanted = text != null ? "'" + text + "'" : kind.name().toLowerCase(java.util.Locale.ROOT);
            throw error("expected " + wanted + ", got " + t.describe(), t);
        }
        return next();
    }

    // the end of a tag that opens a body; Jinja2 accepts a Python-style colon before it
    private void bodyStart() {
        acceptOperator(":");
        expect(Kind.BLOCK_END, null);
    }

    private String expectName() {
        return expect(Kind.NAME, null).text();
    }

    private boolean acceptOperator(String op) {
        if (peek().isOperator(op)) {
            next();
            return true;
        }
        return false;
    }

    private boolean acceptName(String name) {
        if (peek().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    private void enter(Token at) {
        if (++depth > MAX_DEPTH) {
            throw error("template nested too deeply (more than " + MAX_DEPTH + " levels)", at);
        }
    }

    // ---- statements ----

    /** Statements up to a block tag named in {@code ends} (left unread) or the end of the template. */
    private List<Node> body(Set<String> ends) {
        enter(peek());
        List<Node> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case TEXT -> out.add(new Node.Text((String) next().value(), t.line()));
                case VAR_BEGIN -> {
                    next();
                    Expr e = tuple(true, false);
                    expect(Kind.VAR_END, null);
                    out.add(new Node.Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.kind() == Kind.NAME && ends.contains(name.text())) {
                        depth--;
                        return out;
                    }
                    next();
                    out.add(statement());
                }
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw error("Unexpected end of template. Jinja was looking for the following tags: "
                                + String.join(" or ", ends.stream().sorted().map(s -> "'" + s + "'").toList()) + ".", t);
                    }
                    depth--;
                    return out;
                }
                default -> throw error("unexpected " + t.describe(), t);
            }
        }
    }

    // reads `{% name` … `%}` of an end tag the body stopped at
    private String endTag(String... expected) {
        expect(Kind.BLOCK_BEGIN, null);
        String name = expectName();
        if (!Set.of(expected).contains(name)) {
            throw error("unexpected tag '" + name + "'", peek());
        }
        if (name.startsWith("end") && peek().kind() == Kind.NAME) {
            next();
        }
        expect(Kind.BLOCK_END, null);
        return name;
    }

    private Node statement() {
        Token t = peek();
        if (t.kind() != Kind.NAME) {
            throw error("tag name expected", t);
        }
        String tag = next().text();
        int line = t.line();
        return switch (tag) {
            case "if" -> ifStatement(line);
            case "for" -> forStatement(line);
            case "set" -> setStatement(line);
            case "macro" -> macroStatement(line);
            case "call" -> callStatement(line);
            case "filter" -> filterStatement(line);
            case "with" -> withStatement(line);
            case "generation" -> {
                expect(Kind.BLOCK_END, null);
                List<Node> body = body(Set.of("endgeneration"));
                endTag("endgeneration");
                yield new Node.Block(body, line);
            }
            case "break", "continue" -> {
                if (loops == 0) {
                    throw error("'" + tag + "' outside of a loop", t);
                }
                expect(Kind.BLOCK_END, null);
                yield tag.equals("break") ? new Node.Break(line) : new Node.Continue(line);
            }
            case "do" -> {
                Expr e = tuple(true, false);
                expect(Kind.BLOCK_END, null);
                yield new Node.Do(e, line);
            }
            default -> throw error("Encountered unknown tag '" + tag + "'.", t);
        };
    }

    private Node ifStatement(int line) {
        boolean outer = soft;
        soft = true;
        try {
            return ifBody(line);
        } finally {
            soft = outer;
        }
    }

    private Node ifBody(int line) {
        List<Expr> conditions = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conditions.add(tuple(false, false));
        bodyStart();
        while (true) {
            bodies.add(body(Set.of("elif", "else", "endif")));
            String tag = endTagHead("elif", "else", "endif");
            if (tag.equals("elif")) {
                conditions.add(tuple(false, false));
                bodyStart();
            } else if (tag.equals("else")) {
                bodyStart();
                List<Node> otherwise = body(Set.of("endif"));
                endTag("endif");
                return new Node.If(conditions, bodies, otherwise, line);
            } else {
                expect(Kind.BLOCK_END, null);
                return new Node.If(conditions, bodies, List.of(), line);
            }
        }
    }

    // `{% name` of a tag the body stopped at; the caller reads the rest
    private String endTagHead(String... expected) {
        expect(Kind.BLOCK_BEGIN, null);
        Token t = peek();
        String name = expectName();
        if (!Set.of(expected).contains(name)) {
            throw error("unexpected tag '" + name + "'", t);
        }
        return name;
    }

    private Node forStatement(int line) {
        List<String> targets = new ArrayList<>();
        boolean unpack = assignTarget(targets);
        expect(Kind.NAME, "in");
        Expr iterable = tuple(false, false);
        Expr filter = null;
        if (acceptName("if")) {
            filter = expression(true);
        }
        boolean recursive = acceptName("recursive");
        bodyStart();
        boolean outer = soft;
        soft = false;
        loops++;
        List<Node> body = body(Set.of("endfor", "else"));
        loops--;
        soft = outer;
        List<Node> otherwise = List.of();
        if (endTagHead("endfor", "else").equals("else")) {
            bodyStart();
            otherwise = body(Set.of("endfor"));
            endTag("endfor");
        } else {
            expect(Kind.BLOCK_END, null);
        }
        return new Node.For(targets, unpack, iterable, filter, recursive, body, otherwise, line);
    }

    // names of a for/set target, `a` or `a, b` or `(a, b)`; true when it is a tuple
    private boolean assignTarget(List<String> names) {
        boolean paren = acceptOperator("(");
        boolean tuple = paren;
        names.add(expectName());
        while (acceptOperator(",")) {
            tuple = true;
            if (peek().kind() != Kind.NAME) {
                break;
            }
            names.add(expectName());
        }
        if (paren) {
            expect(Kind.OPERATOR, ")");
        }
        for (String n : names) {
            if (Set.of("true", "false", "none", "True", "False", "None").contains(n)) {
                throw error("can't assign to " + n, peek());
            }
        }
        return tuple;
    }

    private Node setStatement(int line) {
        List<String> names = new ArrayList<>();
        List<String> attributes = new ArrayList<>();
        boolean paren = acceptOperator("(");
        boolean tuple = paren;
        while (true) {
            Token t = peek();
            String name = expectName();
            if (Set.of("true", "false", "none", "True", "False", "None").contains(name)) {
                throw error("can't assign to " + name, t);
            }
            String attribute = null;
            if (peek().isOperator(".") && peek(1).kind() == Kind.NAME) {
                next();
                attribute = expectName();
            }
            names.add(name);
            attributes.add(attribute);
            if (!acceptOperator(",")) {
                break;
            }
            tuple = true;
            if (peek().kind() != Kind.NAME) {
                break;
            }
        }
        if (paren) {
            expect(Kind.OPERATOR, ")");
        }
        if (acceptOperator("=")) {
            Expr value = tuple(true, false);
            expect(Kind.BLOCK_END, null);
            return new Node.Set(names, attributes, tuple, value, line);
        }
        Expr filter = null;
        boolean outer = soft;
        soft = false;
        if (peek().isOperator("|")) {
            next();
            filter = filterChain(null, true);
        }
        bodyStart();
        List<Node> body = body(Set.of("endset"));
        endTag("endset");
        soft = outer;
        return new Node.SetBlock(names, attributes, tuple, filter, body, line);
    }

    // `(a, b=1, c=x)` of a macro or call block
    private void signature(List<String> params, List<Expr> defaults) {
        expect(Kind.OPERATOR, "(");
        while (!peek().isOperator(")")) {
            if (!params.isEmpty()) {
                expect(Kind.OPERATOR, ",");
                if (peek().isOperator(")")) {
                    break;
                }
            }
            Token t = peek();
            String name = expectName();
            if (params.contains(name)) {
                throw error("duplicate argument '" + name + "'", t);
            }
            params.add(name);
            if (acceptOperator("=")) {
                defaults.add(expression(true));
            } else if (!defaults.isEmpty()) {
                throw error("non-default argument follows default argument", t);
            } else {
                defaults.add(null);
            }
        }
        next();
    }

    private Node macroStatement(int line) {
        String name = expectName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        signature(params, defaults);
        bodyStart();
        int outerLoops = loops;
        boolean outer = soft;
        loops = 0;
        soft = false;
        List<Node> body = body(Set.of("endmacro"));
        loops = outerLoops;
        soft = outer;
        endTag("endmacro");
        return new Node.Macro(name, params, defaults, body, line);
    }

    private Node callStatement(int line) {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (peek().isOperator("(")) {
            signature(params, defaults);
        }
        Token t = peek();
        Expr call = expression(true);
        if (!(call instanceof Expr.Call)) {
            throw error("expected call", t);
        }
        bodyStart();
        boolean outer = soft;
        soft = false;
        List<Node> body = body(Set.of("endcall"));
        soft = outer;
        endTag("endcall");
        return new Node.CallBlock(call, params, defaults, body, line);
    }

    private Node filterStatement(int line) {
        Expr filter = filterChain(null, true);
        bodyStart();
        boolean outer = soft;
        soft = false;
        List<Node> body = body(Set.of("endfilter"));
        soft = outer;
        endTag("endfilter");
        return new Node.FilterBlock(filter, body, line);
    }

    private Node withStatement(int line) {
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (peek().kind() != Kind.BLOCK_END) {
            if (!names.isEmpty()) {
                expect(Kind.OPERATOR, ",");
            }
            names.add(expectName());
            expect(Kind.OPERATOR, "=");
            values.add(expression(true));
        }
        next();
        boolean outer = soft;
        soft = false;
        List<Node> body = body(Set.of("endwith"));
        soft = outer;
        endTag("endwith");
        return new Node.With(names, values, body, line);
    }

    // ---- expressions ----

    /** An expression or a tuple of them separated by commas. */
    private Expr tuple(boolean condexpr, boolean explicitParens) {
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

    private Expr expression(boolean condexpr) {
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
    private Expr filterChain(Expr value, boolean inline) {
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
