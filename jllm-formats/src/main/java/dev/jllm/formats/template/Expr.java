package dev.jllm.formats.template;

import java.util.List;

/** The expressions of the template language, as the parser builds them; each knows its line for error messages. */
sealed interface Expr {
    int line();

    record Literal(Object value, int line) implements Expr { }

    record Name(String name, int line) implements Expr { }

    record ListLiteral(List<Expr> items, int line) implements Expr { }

    record TupleLiteral(List<Expr> items, int line) implements Expr { }

    record DictLiteral(List<Expr> keys, List<Expr> values, int line) implements Expr { }

    record Attribute(Expr target, String name, int line) implements Expr { }

    record Item(Expr target, Expr key, int line) implements Expr { }

    /** {@code target[start:stop:step]}; absent parts are {@code null}. */
    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr { }

    /** Positional and keyword arguments of a call, filter or test. */
    record Arguments(List<Expr> positional, List<String> names, List<Expr> keywords) {
        static final Arguments NONE = new Arguments(List.of(), List.of(), List.of());
    }

    record Call(Expr callee, Arguments args, int line) implements Expr { }

    /** {@code value | name(args)}; {@code value} is {@code null} inside a {@code {% filter %}} block chain. */
    record Filter(Expr value, String name, Arguments args, int line) implements Expr { }

    record Test(Expr value, String name, Arguments args, boolean negated, int line) implements Expr { }

    /** Arithmetic and {@code ~}: {@code + - * / // % ** ~}. */
    record Binary(String op, Expr left, Expr right, int line) implements Expr { }

    /** Unary {@code -}, {@code +} and {@code not}. */
    record Unary(String op, Expr operand, int line) implements Expr { }

    record And(Expr left, Expr right, int line) implements Expr { }

    record Or(Expr left, Expr right, int line) implements Expr { }

    /** A comparison chain {@code a < b <= c}: operators {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr { }

    /** {@code then if condition else otherwise}; {@code otherwise} is {@code null} when left out. */
    record Conditional(Expr condition, Expr then, Expr otherwise, int line) implements Expr { }
}
