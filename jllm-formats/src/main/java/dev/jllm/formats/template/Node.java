package dev.jllm.formats.template;

import java.util.List;

/** The statements of a template: text, output, and the block tags. */
sealed interface Node {
    int line();

    record Text(String text, int line) implements Node { }

    record Output(Expr value, int line) implements Node { }

    /** {@code if}/{@code elif} conditions with their bodies, then the {@code else} body (possibly empty). */
    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise, int line) implements Node { }

    /** {@code for targets in iterable [if filter] [recursive]}…{@code else}…{@code endfor}. */
    record For(List<String> targets, boolean unpack, Expr iterable, Expr filter, boolean recursive, List<Node> body,
            List<Node> otherwise, int line) implements Node { }

    /**
     * {@code set a = value}, {@code set ns.attr = value}, {@code set a, ns.b = pair}: the i-th target is
     * variable {@code names[i]}, or attribute {@code attributes[i]} of that namespace when that is non-null.
     */
    record Set(List<String> names, List<String> attributes, boolean unpack, Expr value, int line) implements Node { }

    /** {@code set targets}…{@code endset} (targets as in {@link Set}), optionally through filters whose innermost value is null. */
    record SetBlock(List<String> names, List<String> attributes, boolean unpack, Expr filter, List<Node> body, int line)
            implements Node { }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, int line) implements Node { }

    /** {@code call(params) macro(args)}…{@code endcall}. */
    record CallBlock(Expr call, List<String> params, List<Expr> defaults, List<Node> body, int line) implements Node { }

    record FilterBlock(Expr filter, List<Node> body, int line) implements Node { }

    /** A body run in a scope of its own with some names set: {@code with}. */
    record With(List<String> names, List<Expr> values, List<Node> body, int line) implements Node { }

    /** A body rendered as is: Hugging Face's {@code generation} block. */
    record Block(List<Node> body, int line) implements Node { }

    record Break(int line) implements Node { }

    record Continue(int line) implements Node { }

    record Do(Expr value, int line) implements Node { }
}
