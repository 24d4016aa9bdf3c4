package dev.jllm.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic English benchmark text: the sentences of a few public-domain passages (the US
 * Declaration of Independence's preamble, the Gettysburg Address, the opening of Melville's
 * Moby-Dick) shuffled with a fixed seed into paragraphs until the text reaches a requested size.
 */
public final class EnglishText {
    private static final String[] PASSAGES = {
        "When in the Course of human events, it becomes necessary for one people to dissolve the political bands "
                + "which have connected them with another, and to assume among the powers of the earth, the separate "
                + "and equal station to which the Laws of Nature and of Nature's God entitle them, a decent respect to "
                + "the opinions of mankind requires that they should declare the causes which impel them to the "
                + "separation. We hold these truths to be self-evident, that all men are created equal, that they are "
                + "endowed by their Creator with certain unalienable Rights, that among these are Life, Liberty and the "
                + "pursuit of Happiness. That to secure these rights, Governments are instituted among Men, deriving "
                + "their just powers from the consent of the governed. That whenever any Form of Government becomes "
                + "destructive of these ends, it is the Right of the People to alter or to abolish it, and to institute "
                + "new Government, laying its foundation on such principles and organizing its powers in such form, as "
                + "to them shall seem most likely to effect their Safety and Happiness.",
        "Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in "
                + "Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in a "
                + "great civil war, testing whether that nation, or any nation so conceived and so dedicated, can long "
                + "endure. We are met on a great battle-field of that war. We have come to dedicate a portion of that "
                + "field, as a final resting place for those who here gave their lives that that nation might live. It "
                + "is altogether fitting and proper that we should do this. But, in a larger sense, we can not "
                + "dedicate -- we can not consecrate -- we can not hallow -- this ground. The brave men, living and "
                + "dead, who struggled here, have consecrated it, far above our poor power to add or detract. The world "
                + "will little note, nor long remember what we say here, but it can never forget what they did here.",
        "Call me Ishmael. Some years ago--never mind how long precisely--having little or no money in my purse, and "
                + "nothing particular to interest me on shore, I thought I would sail about a little and see the watery "
                + "part of the world. It is a way I have of driving off the spleen and regulating the circulation. "
                + "Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my "
                + "soul; whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear "
                + "of every funeral I meet; and especially whenever my hypos get such an upper hand of me, that it "
                + "requires a strong moral principle to prevent me from deliberately stepping into the street, and "
                + "methodically knocking people's hats off--then, I account it high time to get to sea as soon as I "
                + "can. This is my substitute for pistol and ball. There is nothing surprising in this. If they but "
                + "knew it, almost all men in their degree, some time or other, cherish very nearly the same feelings "
                + "towards the ocean with me."
    };

    private EnglishText() {
    }

    /** The sentences of the built-in passages. */
    static List<String> sentences() {
        List<String> out = new ArrayList<>();
        for (String p : PASSAGES) {
            for (String s : p.split("(?<=[.;])\\s+")) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * At least {@code bytes} bytes (UTF-8, here ASCII) of text: paragraphs of 3 to 8 shuffled sentences,
     * each ended by a newline; the same for the same {@code bytes} on every run.
     */
    public static String generate(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("text size must be positive, is " + bytes);
        }
        List<String> sentences = sentences();
        SplittableRandom random = new SplittableRandom(20260101L);
        StringBuilder sb = new StringBuilder(bytes + 2048);
        while (sb.length() < bytes) {
            int n = 3 + random.nextInt(6);
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : " ").append(sentences.get(random.nextInt(sentences.size())));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
