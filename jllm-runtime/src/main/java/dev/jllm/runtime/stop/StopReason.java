package dev.jllm.runtime.stop;

/** Why a generation ended, in the two kinds OpenAI's {@code finish_reason} distinguishes. */
public enum StopReason {
    /** An end-of-sequence token or a stop string. */
    STOP("stop"),
    /** The maximum number of new tokens (or the context) was reached. */
    LENGTH("length");

    private final String openAiName;

    StopReason(String openAiName) {
        this.openAiName = openAiName;
    }

    /** The value of OpenAI's {@code finish_reason}: {@code "stop"} or {@code "length"}. */
    public String openAiName() {
        return openAiName;
    }
}
