package dev.jllm.eval.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Answer extraction, exact match and the vote on hand-written texts; the expected values of the regex filters are
 * what Python's {@code re.findall} returned for the same patterns and texts (python3, noted beside each case).
 */
class AnswerFilterTest {
    @Test
    void regexFiltersReduceFindallAsTheHarnessDoes() {
        String alternatives = "((?<=The answer is )(.*)(?=.)|(?<=the answer is )(.*)(?=.))";
        // re.findall -> [('42', '', '42'), ('7', '7', '')]: the first non-empty group of the selected match
        String text = "So the answer is 42.\nThe answer is 7!";
        assertEquals("42", new AnswerFilter.Regex("strict-match", alternatives, 0).apply(text));
        assertEquals("7", new AnswerFilter.Regex("strict-match", alternatives, -1).apply(text));
        // re.findall('([-0-9]+)', ...) -> ['-3', '12', '9', '9']
        AnswerFilter.Regex numbers = new AnswerFilter.Regex("flexible-extract", "([-0-9]+)", -1);
        assertEquals("9", numbers.apply("We get -3 + 12 = 9, so 9."));
        assertEquals("-3", new AnswerFilter.Regex("flexible-extract", "([-0-9]+)", 0).apply("We get -3 + 12 = 9"));
        // re.findall('(?<= )([" \[\(<{}>\)\]]+)', 'Close it: ] ) >') -> ['] ) >'], then stripped
        assertEquals("] ) >", new AnswerFilter.Regex("f", "(?<= )([\" \\[\\(<{}>\\)\\]]+)", -1).apply("Close it: ] ) >"));
        // '.' stops at '\n' only, as in Python (not at '\r' or U+2028)
        assertEquals("A\rB", new AnswerFilter.Regex("s", "(?<=is )(.*)(?=.)", 0).apply("is A\rB.\nnext"));
        assertEquals(AnswerFilter.INVALID, numbers.apply("no digits"));
        assertEquals("as is ", new AnswerFilter.Whole("none").apply("as is "));
    }

    @Test
    void multipleChoiceFallsBackToOptionTextsThenColonLabels() {
        AnswerFilter.MultiChoice f = AnswerFilter.MultiChoice.of("flexible-extract", -1,
                List.of("Paris", "Rome, Italy", "Berlin", "Madrid"));
        assertEquals("(D)", f.apply("(A) is wrong; (d) no, (D) yes"), "the pattern is case-sensitive: (d) is not a label");
        assertEquals("(B)", f.apply("It must be ROME ITALY."), "option text, case and punctuation ignored");
        assertEquals("(C)", f.apply("Paris? No: berlin"), "the last option mentioned");
        assertEquals("(A)", f.apply("Final answer:  A"), "a label after a colon");
        assertEquals(AnswerFilter.INVALID, f.apply("Lisbon"));
        AnswerFilter.MultiChoice first = AnswerFilter.MultiChoice.of("flexible-extract", 0, List.of("x", "y"));
        assertEquals("(A)", first.apply("(A) then (B)"));
    }

    @Test
    void wordSortingKeepsTheOrderOfLastMentions() {
        AnswerFilter.WordSort f = new AnswerFilter.WordSort("flexible-extract", List.of("oven", "costume", "counterpart"));
        assertEquals("oven costume counterpart", f.apply("costume oven ... so: oven costume counterpart"));
        assertEquals("costume counterpart", f.apply("costume costumes counterpart"), "whole words only");
    }

    @Test
    void exactMatchAppliesTheHarnesssOptions() {
        assertEquals(1.0, ExactMatch.PLAIN.score("(B)", "(B)"));
        assertEquals(0.0, ExactMatch.PLAIN.score(" (B)", "(B)"));
        ExactMatch bbhZero = new ExactMatch(List.of("\\.$", ",", "\n", "\\\\", "\""), true, false);
        assertEquals(1.0, bbhZero.score("Valid.", "valid"));
        assertEquals(1.0, bbhZero.score("\"1,000\"\n", "1000"));
        assertEquals(0.0, bbhZero.score("valid!", "valid"));
        ExactMatch loose = new ExactMatch(List.of(), true, true);
        assertEquals(1.0, loose.score("b", "(B)"));
        assertEquals(0.0, loose.score(" b", "(B)"), "whitespace is never trimmed");
        // only string.punctuation is dropped, not Unicode punctuation such as an ellipsis
        assertEquals(0.0, loose.score("b…", "(B)"));
    }

    @Test
    void theVoteTakesTheMostFrequentAnswerAndTheEarliestOnATie() {
        assertEquals("a", MajorityVote.of(List.of("a", "b", "b", "a", "c")));
        assertEquals("b", MajorityVote.of(List.of("a", "b", "b", "c")));
        assertEquals("[invalid]", MajorityVote.of(List.of("[invalid]", "x", "[invalid]")));
        assertThrows(IllegalArgumentException.class, () -> MajorityVote.of(List.of()));
    }
}
