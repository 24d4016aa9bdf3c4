package dev.jllm.formats.template;

import dev.jllm.formats.template.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Builds the statement tree of a template from its tokens, following Jinja2's grammar and operator precedence. */
final class Parser extends ExpressionParser {
    private int loops;

    private Parser(List<Token> tokens) {
        super(tokens);
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
        int outerLoops = loops;
        soft = false;
        loops = 0;
        List<Node> body = body(Set.of("endcall"));
        soft = outer;
        loops = outerLoops;
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
}
