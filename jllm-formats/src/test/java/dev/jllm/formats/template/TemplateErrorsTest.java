package dev.jllm.formats.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Errors name the place and kind Jinja2 would; runaway templates stop at the renderer's limits. */
class TemplateErrorsTest {
    private static TemplateException parseError(String source) {
        return assertThrows(TemplateException.class, () -> ChatTemplate.parse(source));
    }

    private static TemplateException renderError(String source, Map<String, Object> vars) {
        ChatTemplate t = ChatTemplate.parse(source);
        return assertThrows(TemplateException.class, () -> t.render(vars));
    }

    @Test
    void syntaxErrorsCarryLineAndColumn() {
        TemplateException e = parseError("line one\n  {{ a + }}");
        assertEquals("TemplateSyntaxError", e.kind());
        assertEquals(2, e.line());
        assertEquals(10, e.column(), e.getMessage());

        e = parseError("{% for x in xs %}\n{{ x }}\n");
        assertEquals(2, e.line(), e.getMessage()); // the trailing newline is dropped, as Jinja2 does
        assertTrue(e.detail().contains("'endfor'"), e.getMessage());

        e = parseError("ok\n{% frobnicate %}");
        assertEquals("Encountered unknown tag 'frobnicate'.", e.detail());
        assertEquals(2, e.line());
        assertEquals(4, e.column());

        e = parseError("{{ 'unterminated }}");
        assertEquals(1, e.line());
        assertEquals(4, e.column());

        assertEquals("TemplateSyntaxError", parseError("{% break %}").kind());
        assertEquals("TemplateSyntaxError", parseError("{{ (1, 2] }}").kind());
        assertEquals("TemplateSyntaxError", parseError("{# open comment").kind());
    }

    @Test
    void unknownFiltersFailAtParseUnlessInsideAnIf() {
        TemplateException e = parseError("{{ x | nosuchfilter }}");
        assertEquals("TemplateAssertionError", e.kind());
        assertEquals("No filter named 'nosuchfilter'.", e.detail());
        // Jinja2 defers the check inside if statements and conditional expressions: the branch may never run
        assertEquals("ok", ChatTemplate.parse("{% if false %}{{ x | nosuchfilter }}{% endif %}ok").render(Map.of()));
        assertEquals("b", ChatTemplate.parse("{{ x | nosuchfilter if false else 'b' }}").render(Map.of()));
        TemplateException run = renderError("{% if true %}{{ x is nosuchtest }}{% endif %}", Map.of());
        assertEquals("TemplateRuntimeError: No test named 'nosuchtest' found.", run.jinjaMessage());
    }

    @Test
    void runtimeErrorsNameTheLine() {
        TemplateException e = renderError("a\nb\n{{ messages[0].content.nope.deeper }}", Map.of("messages", List.of(Map.of("content", "x"))));
        assertEquals("UndefinedError: 'str object' has no attribute 'nope'", e.jinjaMessage());
        assertEquals(3, e.line());
        e = renderError("\n{{ raise_exception('stop here') }}", Map.of());
        assertEquals("stop here", e.jinjaMessage());
        assertEquals(2, e.line());
    }

    @Test
    void runawayTemplatesHitLimits() {
        assertEquals("LimitExceeded", renderError("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                Map.of()).kind());
        assertEquals("LimitExceeded", renderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", Map.of()).kind());
        assertEquals("LimitExceeded", renderError("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", Map.of()).kind());
        assertEquals("LimitExceeded", renderError("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                Map.of()).kind());
        assertEquals("OverflowError", renderError("{{ range(10000000) | length }}", Map.of()).kind());
        assertEquals("LimitExceeded", renderError("{{ 10 ** 100 }}", Map.of()).kind());
    }

    @Test
    void sandboxRefusesMutatingMethods() {
        TemplateException e = renderError("{% set xs = [1] %}{{ xs.append(2) }}", Map.of());
        assertEquals("SecurityError", e.kind());
        assertEquals("access to attribute 'append' of 'list' object is unsafe.", e.detail());
    }

    @Test
    void variablesOfUnknownTypesAreRefused() {
        ChatTemplate t = ChatTemplate.parse("{{ x }}");
        TemplateException e = assertThrows(TemplateException.class, () -> t.render(Map.of("x", List.of(new Object()))));
        assertTrue(e.detail().contains("x[0]"), e.getMessage());
    }
}
