package dev.jllm.formats.tokenizer;

/**
 * Special ids and whether encode adds BOS/EOS.
 *
 * @param bos begin-of-sequence id or -1
 * @param eos end-of-sequence ids (first is the main one)
 * @param pad padding id or -1
 * @param unk unknown id or -1
 * @param addBos whether {@code encode(text, true)} prepends BOS
 * @param addEos whether {@code encode(text, true)} appends EOS
 */
public record SpecialTokens(int bos, int[] eos, int pad, int unk, boolean addBos, boolean addEos) {

    /** None of them. */
    public static SpecialTokens none() {
        return new SpecialTokens(-1, new int[0], -1, -1, false, false);
    }

    /** The same with other add flags. */
    public SpecialTokens withAdd(boolean bos, boolean eos) {
        return new SpecialTokens(this.bos, this.eos, pad, unk, bos, eos);
    }
}
