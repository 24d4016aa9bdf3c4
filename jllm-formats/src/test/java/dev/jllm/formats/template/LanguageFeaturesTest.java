package dev.jllm.formats.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The language features one by one, each with the output Jinja2 3.1 gives under Hugging Face's
 * settings (trim_blocks, lstrip_blocks, no autoescape), written by hand from Jinja2's and Python's
 * documented semantics. An expected text starting with {@code ERR Kind message} means the render
 * must fail with that error.
 */
class LanguageFeaturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LocalDateTime CLOCK = LocalDateTime.of(2026, 1, 15, 12, 0, 0);

    private record Case(String name, String template, String variables, String expected) {
    }

    private static final List<Case> CASES = List.of(
            new Case("text", "hello", "{}", "hello"),
            new Case("output_none_bool", "{{ none }} {{ true }} {{ false }}", "{}", "None True False"),
            new Case("floats", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1.5e-5 }} {{ 3 / 2 }} {{ 4 / 2 }}", "{}", "1.0 0.30000000000000004 1e+16 1.5e-05 1.5 2.0"),
            new Case("int_ops", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 % 3 }}", "{}", "3 -4 2 1024 0.5 1"),
            new Case("concat_tilde", "{{ 'a' ~ 1 ~ none ~ x }}", "{}", "a1None"),
            new Case("undefined_renders_empty", "[{{ missing }}]", "{}", "[]"),
            new Case("undefined_attr_error", "{{ missing.attr }}", "{}", "ERR UndefinedError 'missing' is undefined"),
            new Case("missing_key_error", "{{ d.nope + 'x' }}", "{\"d\": {\"a\": 1}}", "ERR UndefinedError 'dict object' has no attribute 'nope'"),
            new Case("list_repr", "{{ [1, 'a', none, true, 2.5] }} {{ {'k': 'v'} }} {{ ('x',) }}", "{}", "[1, 'a', None, True, 2.5] {'k': 'v'} ('x',)"),
            new Case("string_repr_quotes", "{{ [\"it's\", 'a\\nb'] }}", "{}", "[\"it's\", 'a\\nb']"),
            new Case("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %},{% endfor %}", "{}", "one,two,many,"),
            new Case("for_else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "{}", "empty"),
            new Case("for_filter", "{% for x in range(10) if x is odd %}{{ x }}{{ '' if loop.last else ',' }}{% endfor %}", "{}", "1,3,5,7,9"),
            new Case("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", "{}", "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|"),
            new Case("for_prev_next", "{% for x in [1, 2, 3] %}{{ loop.previtem is defined and loop.previtem }}-{{ loop.nextitem | default('end') }};{% endfor %}", "{}", "False-2;1-3;2-end;"),
            new Case("for_cycle", "{% for x in range(4) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", "{}", "abca"),
            new Case("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{\"d\": {\"a\": 1, \"b\": [2]}}", "a=1;b=[2];"),
            new Case("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"x\": 1, \"y\": 2}}", "xy"),
            new Case("nested_loop", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }};{% endfor %}", "{}", "11x 21y 1;12x 22y 2;"),
            new Case("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}", "0134"),
            new Case("set_scoping", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "{}", "21"),
            new Case("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "{}", "3"),
            new Case("block_set", "{% set x %}  a{{ 1 + 1 }}b {% endset %}[{{ x }}]", "{}", "[  a2b ]"),
            new Case("block_set_filter", "{% set x | upper | trim %} hi {% endset %}[{{ x }}]", "{}", "[HI]"),
            new Case("set_tuple", "{% set a, b = 1, 'two' %}{{ b }}{{ a }}", "{}", "two1"),
            new Case("macro_defaults_kwargs", "{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(greeting='Hi', name='Cy') }}", "{}", "Hello, Ann! Hello, Bob? Hi, Cy!"),
            new Case("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1) | int }}{% endif %}{% endmacro %}{{ fact(5) }}", "{}", "120"),
            new Case("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %}", "{}", "<b>bold</b>"),
            new Case("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}", "{}", "[1][2]"),
            new Case("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}", "{}", "ABCD"),
            new Case("raise_exception", "{{ raise_exception('bad role: ' ~ r) }}", "{\"r\": \"x\"}", "ERR TemplateError bad role: x"),
            new Case("strftime", "{{ strftime_now('%Y-%m-%d %d %b %Y %H:%M') }}", "{}", "2026-01-15 15 Jan 2026 12:00"),
            new Case("tests_types", "{{ [1 is number, 'a' is string, {} is mapping, [] is iterable, 'x' is sequence, none is none, true is boolean, 1 is boolean, x is undefined, 1 is defined] }}", "{}", "[True, True, True, True, True, True, True, False, True, True]"),
            new Case("tests_values", "{{ [true is true, false is false, 0 is false, 4 is even, 3 is odd, 9 is divisibleby 3, 10 is divisibleby(4), 'a' is in 'cat', 2 is not in [1]] }}", "{}", "[True, True, False, True, True, True, False, True, True]"),
            new Case("in_not_in", "{{ 'a' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [3] }}", "{}", "True True True False"),
            new Case("and_or_values", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 1 }} {{ not 0 }} {{ none or none }}", "{}", "x y  True None"),
            new Case("conditional_expr", "{{ 'a' if x else 'b' }} {{ 'c' if not x }}|", "{\"x\": 0}", "b c|"),
            new Case("compare_chain", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ 1 == 1.0 }}", "{}", "True False True True True"),
            new Case("literals", "{{ {'a': [1, 2], 'b': {'c': none}}['b'] }} {{ [1, 2, 3][-1] }} {{ 'ab' 'cd' }}", "{}", "{'c': None} 3 abcd"),
            new Case("attr_subscript", "{{ m.role }} {{ m['content'] }} {{ m.get('x', 'dflt') }} {{ m.get('role') }} {{ m.keys() | list }} {{ m.values() | list | length }}", "{\"m\": {\"role\": \"user\", \"content\": \"hi\"}}", "user hi dflt user ['role', 'content'] 2"),
            new Case("slicing", "{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ [1, 2, 3, 4][::2] }} {{ [1, 2, 3][-2:] }} {{ 'abc'[:-1] }} {{ 'h\u00e9llo'[1] }}", "{}", "bc fedcba [1, 3] [2, 3] ab \u00e9"),
            new Case("tojson", "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ '\u00e9\"\\n' | tojson }}|{{ [1.0, none, true] | tojson }}", "{\"d\": {\"a\": [1, {\"b\": \"x\"}], \"c\": {}}}", "{\"a\": [1, {\"b\": \"x\"}], \"c\": {}}|{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x\"\n    }\n  ],\n  \"c\": {}\n}|\"\u00e9\\\"\\n\"|[1.0, null, true]"),
            new Case("tojson_options", "{{ d | tojson(ensure_ascii=true) }} {{ d | tojson(sort_keys=true, separators=(',', ':')) }}", "{\"d\": {\"z\": \"\\u00e9\", \"a\": 1}}", "{\"z\": \"\\u00e9\", \"a\": 1} {\"a\":1,\"z\":\"\u00e9\"}"),
            new Case("string_filters", "{{ '  x  ' | trim }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}|{{ 'ab' | upper }}{{ 'CD' | lower }}|{{ 'aXbX' | replace('X', '-') }}|{{ 'one two  three' | wordcount }}|{{ 5 | string }}", "{}", "x|Hello World|Hello|ABcd|a-b-|3|5"),
            new Case("sequence_filters", "{{ [3, 1, 2] | first }}{{ [3, 1, 2] | last }}{{ [3, 1, 2] | length }}{{ 'abc' | count }}|{{ [3, 1, 2] | sort | join(',') }}|{{ [3, 1, 2] | sort(reverse=true) | list }}|{{ [1, 2, 1, 3] | unique | list }}|{{ [1, 2, 3] | reverse | list }}|{{ 'abc' | reverse }}", "{}", "3233|1,2,3|[3, 2, 1]|[1, 2, 3]|[3, 2, 1]|cba"),
            new Case("map_select", "{{ users | map(attribute='name') | join(', ') }}|{{ ['a', 'b'] | map('upper') | list }}|{{ users | selectattr('admin') | map(attribute='name') | list }}|{{ users | rejectattr('admin') | map(attribute='name') | first }}|{{ users | selectattr('name', 'equalto', 'Bo') | list | length }}|{{ [1, 2, 3, 4] | select('even') | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}", "{\"users\": [{\"name\": \"Al\", \"admin\": true}, {\"name\": \"Bo\", \"admin\": false}]}", "Al, Bo|['A', 'B']|['Al']|Bo|1|[2, 4]|[2, 4]"),
            new Case("map_default", "{{ xs | map(attribute='v', default='?') | join }}", "{\"xs\": [{\"v\": 1}, {}]}", "1?"),
            new Case("default_filter", "{{ x | default('d') }} {{ '' | default('e') }} {{ '' | default('f', true) }} {{ none | d('g') }} {{ 0 | d('h', boolean=true) }}", "{}", "d  f None h"),
            new Case("items_dictsort", "{% for k, v in d | items %}{{ k }}{{ v }}{% endfor %}|{% for k, v in d | dictsort %}{{ k }}{{ v }}{% endfor %}|{{ d | dictsort(by='value', reverse=true) }}", "{\"d\": {\"b\": 1, \"a\": 2}}", "b1a2|a2b1|[('a', 2), ('b', 1)]"),
            new Case("numeric_filters", "{{ '42' | int + 1 }} {{ '3.7' | int }} {{ 'x' | int(7) }} {{ '2.5' | float }} {{ 'x' | float }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 2.1 | round(method='ceil') }} {{ -3 | abs }} {{ [1, 2, 3] | sum }} {{ [4, 2, 9] | max }} {{ [4, 2, 9] | min }}", "{}", "43 3 7 2.5 0.0 2.0 3.14 3.0 3 6 9 2"),
            new Case("indent", "{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, first=true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}", "{}", "a\n  b\n\n  c|  a\n  b|a\n  \n  b"),
            new Case("batch_slice", "{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 0) | list }} {{ [1, 2, 3, 4, 5] | slice(2) | list }}", "{}", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]] [[1, 2, 3], [4, 5]]"),
            new Case("escape_safe", "{{ '<a href=\"x\">' | e }} {{ '<b>' | safe }} {{ ('<i>' | safe) + '<j>' }} {{ '&' | escape | escape }}", "{}", "&lt;a href=&#34;x&#34;&gt; <b> <i>&lt;j&gt; &amp;"),
            new Case("format", "{{ '%s-%d-%.2f' | format('a', 3, 1.5) }} {{ '{} and {name}'.format(1, name='n') }} {{ '%s!' % 'hi' }}", "{}", "a-3-1.50 1 and n hi!"),
            new Case("str_methods", "{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }} {{ '\\n\\nab'.lstrip('\\n') }} {{ 'ab  '.rstrip() }}|{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'a\\nb\\r\\nc'.splitlines() }}", "{}", "True True x|hi ab ab|['a', 'b', '', 'c'] ['a', 'b'] ['a,b', 'c'] ['a', 'b', 'c']"),
            new Case("str_methods2", "{{ 'hello world'.title() }} {{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ '-'.join(['a', 'b']) }} {{ 'they\\'re'.title() }}", "{}", "Hello World AB ab bba 2 -1 2 a-b They'Re"),
            new Case("think_split", "{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}", "{\"c\": \"<think>\\nreason\\n</think>\\n\\nanswer\"}", "answer|reason"),
            new Case("dict_global", "{{ dict(a=1, b='x') }} {{ dict(a=1).a }}", "{}", "{'a': 1, 'b': 'x'} 1"),
            new Case("range_global", "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(3, 0, -1) | list }}", "{}", "[0, 1, 2] [1, 4, 7] [3, 2, 1]"),
            new Case("whitespace_control", "a  {{- ' b ' -}}  c\n  {%- if true -%}  d  {%- endif %}\ne", "{}", "a b cde"),
            new Case("trim_blocks", "{% if true %}\nline\n{% endif %}\nafter", "{}", "line\nafter"),
            new Case("lstrip_blocks", "<\n    {% if true %}\n    x\n    {% endif %}\n>", "{}", "<\n    x\n>"),
            new Case("lstrip_plus", "<\n    {%+ if true %}x{% endif %}>", "{}", "<\n    x>"),
            new Case("comment", "a {# hidden #} b\n  {# line #}\nc", "{}", "a  b\nc"),
            new Case("trailing_newline", "x\n", "{}", "x"),
            new Case("crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", "{}", "a\nb\nc"),
            new Case("raw", "{% raw %}{{ not evaluated }}{% endraw %}", "{}", "{{ not evaluated }}"),
            new Case("string_escapes", "{{ 'tab\\there' }}|{{ \"q\\\"uote\" }}|{{ '\\u00e9\\x41' }}", "{}", "tab\there|q\"uote|\u00e9A"),
            new Case("generator_not_json", "{{ [1] | map('string') | tojson }}", "{}", "ERR TypeError Object of type generator is not JSON serializable"),
            new Case("add_str_int_error", "{{ 'a' + 1 }}", "{}", "ERR TypeError can only concatenate str (not \"int\") to str"),
            new Case("list_concat", "{{ [1] + [2] }} {{ 'ab' * 2 }} {{ [0] * 3 }}", "{}", "[1, 2] abab [0, 0, 0]"),
            new Case("loop_changed_depth", "{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{% endfor %}", "{}", "TrueFalseTrue"),
            new Case("recursive_loop", "{% for n in tree recursive %}{{ n.name }}{% if n.children %}({{ loop(n.children) }}){% endif %}{% endfor %}", "{\"tree\": [{\"name\": \"a\", \"children\": [{\"name\": \"b\"}, {\"name\": \"c\", \"children\": [{\"name\": \"d\"}]}]}]}", "a(bc(d))"),
            new Case("none_attribute_undefined", "{{ x.y is defined }}", "{\"x\": null}", "False"),
            new Case("items_on_none", "{{ none | items | list }}", "{}", "ERR TypeError Can only get item pairs from a mapping."),
            new Case("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a is defined }}", "{}", "3False"),
            new Case("unicode_len", "{{ 'h\u00e9llo\ud83d\ude00' | length }} {{ '\ud83d\ude00x'[1] }}", "{}", "6 x"),
            new Case("int_float_compare", "{{ 1 == true }} {{ 2 > 1.5 }} {{ [1, 2] < [1, 3] }}", "{}", "True True True"),
            new Case("compare_type_error", "{{ 1 < 'a' }}", "{}", "ERR TypeError '<' not supported between instances of 'int' and 'str'"),
            new Case("generation_block", "{% generation %}x{% endgeneration %}", "{}", "x"),
            new Case("neg_literal_pow", "{{ -2 ** 2 }} {{ -2 ** x }} {{ -x ** 2 }} {{ 2 ** -x }}", "{\"x\": 2}", "4 -4 4 0.25"),
            new Case("float_mod_sign", "{{ 0 % -3.0 }} {{ 7.5 % -2 }} {{ -7.5 // 2 }} {{ 2.5 is odd }} {{ 3.0 is odd }}", "{}", "-0.0 -0.5 -4.0 False True"),
            new Case("empty_subscript", "{{ d[] is defined }}", "{\"d\": {\"a\": 1}}", "False"),
            new Case("set_tuple_namespace", "{% set ns = namespace(a=0) %}{% set x, ns.a = 1, 2 %}{{ x }}{{ ns.a }}", "{}", "12"),
            new Case("colon_before_body", "{% if true: %}yes{% else: %}no{% endif %}{% for x in [1]: %}{{ x }}{% endfor %}", "{}", "yes1"),
            new Case("attr_filter_is_getattr", "[{{ d | attr('role') }}] {{ d | attr('items') is callable }}", "{\"d\": {\"role\": \"user\"}}", "[] True"),
            new Case("dict_views", "{{ d.keys() }} {{ d.items() }} {{ d.values() is sequence }}", "{\"d\": {\"a\": 1}}", "dict_keys(['a']) dict_items([('a', 1)]) False"),
            new Case("undefined_is_callable", "{{ nope is callable }} {{ nope is iterable }} {{ nope is sequence }}", "{}", "True True True"),
            new Case("lazy_generator_errors", "{% set g = 5 | map('upper') %}ok", "{}", "ok"),
            new Case("float_int_filters_undefined", "{{ nope | int }}", "{}", "ERR UndefinedError 'nope' is undefined"),
            new Case("indent_non_string", "{{ 5 | indent }}", "{}", "ERR TypeError unsupported operand type(s) for +=: 'int' and 'str'"),
            new Case("unknown_test_in_if_is_runtime", "{% if false %}{{ x is frob }}{% endif %}fine", "{}", "fine"),
            new Case("percent_list_arg", "[{{ '' % [1, 2] }}]", "{}", "[]"),
            new Case("in_non_iterable", "{{ 1 in 5 }}", "{}", "ERR TypeError argument of type 'int' is not iterable"));

    @TestFactory
    Stream<DynamicTest> eachFeatureRendersAsJinja2() {
        return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> vars = JSON.readValue(c.variables(), Map.class);
            if (c.expected().startsWith("ERR ")) {
                TemplateException e = assertThrows(TemplateException.class,
                        () -> ChatTemplate.parse(c.template()).render(vars, () -> CLOCK));
                assertEquals(c.expected().substring(4), e.kind() + " " + e.detail());
            } else {
                assertEquals(c.expected(), ChatTemplate.parse(c.template()).render(vars, () -> CLOCK));
            }
        }));
    }
}
