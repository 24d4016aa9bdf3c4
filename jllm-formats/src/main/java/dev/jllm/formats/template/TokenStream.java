package dev.jllm.formats.template;

import dev.jllm.formats.template.Token.Kind;
import java.util.List;

/** The parser's cursor over a template's tokens, with the checks every grammar rule uses and a bound on nesting. */
class TokenStream {
    /** Deepest nesting of blocks and expressions accepted; deeper input is refused rather than overflowing the stack. */
    private static final int MAX_DEPTH = 150;

    private final List<Token> tokens;
    private int p;
    /** Current nesting of blocks and expressions. */
    int depth;

    TokenStream(List<Token> tokens) {
        this.tokens = tokens;
    }

    Token peek() {
        return tokens.get(p);
    }

    Token peek(int ahead) {
        return tokens.get(Math.min(p + ahead, tokens.size() - 1));
    }

    Token next() {
        Token t = tokens.get(p);
        if (t.kind() != Kind.EOF) {
            p++;
        }
        return t;
    }

    TemplateException error(String message, Token at) {
        return TemplateException.syntax(message, at.line(), at.column());
    }

    Token expect(Kind kind, String text) {
        Token t = peek();
        if (t.kind() != kind || (text != null && !t.text().equals(text))) {
            String wanted = text != null ? "'" + text + "'" : kind.name().toLowerCase(java.util.Locale.ROOT);
            throw error("expected " + wanted + ", got " + t.describe(), t);
        }
        return next();
    }

    // the end of a tag that opens a body; Jinja2 accepts a Python-style colon before it
    void bodyStart() {
        acceptOperator(":");
        expect(Kind.BLOCK_END, null);
    }

    String expectName() {
        return expect(Kind.NAME, null).text();
    }

    boolean acceptOperator(String op) {
        if (peek().isOperator(op)) {
            next();
            return true;
        }
        return false;
    }

    boolean acceptName(String name) {
        if (peek().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    void enter(Token at) {
        if (++depth > MAX_DEPTH) {
            throw error("template nested too deeply (more than " + MAX_DEPTH + " levels)", at);
        }
    }
}
