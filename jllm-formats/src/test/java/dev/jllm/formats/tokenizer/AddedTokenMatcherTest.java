package dev.jllm.formats.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leftmost-longest matching of added tokens, and their whitespace stripping. */
class AddedTokenMatcherTest {

    private static List<AddedTokenMatcher.Segment> split(AddedTokenMatcher m, String text) {
        List<AddedTokenMatcher.Segment> out = new ArrayList<>();
        m.split(text, out);
        return out;
    }

    @Test
    void longestTokenWinsAtTheLeftmostPosition() {
        AddedTokenMatcher m = new AddedTokenMatcher();
        m.add("<|a|>", 1);
        m.add("<|a|><|b|>", 2);
        m.add("|b", 3);
        assertEquals(List.of(new AddedTokenMatcher.Segment("x", -1), new AddedTokenMatcher.Segment("<|a|><|b|>", 2),
                new AddedTokenMatcher.Segment("y", -1)), split(m, "x<|a|><|b|>y"));
        assertEquals(List.of(new AddedTokenMatcher.Segment("<|a|>", 1), new AddedTokenMatcher.Segment("<", -1),
                new AddedTokenMatcher.Segment("|b", 3), new AddedTokenMatcher.Segment(">", -1)), split(m, "<|a|><|b>"));
    }

    @Test
    void stripFlagsSwallowNeighbouringWhitespace() {
        AddedTokenMatcher m = new AddedTokenMatcher();
        m.add("<mask>", 7, true, true);
        assertEquals(List.of(new AddedTokenMatcher.Segment("a", -1), new AddedTokenMatcher.Segment("<mask>", 7),
                new AddedTokenMatcher.Segment("b ", -1)), split(m, "a  <mask>\n b "));
    }
}
