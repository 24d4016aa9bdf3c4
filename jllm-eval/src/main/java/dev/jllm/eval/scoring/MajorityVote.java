package dev.jllm.eval.scoring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Self-consistency's vote: the answer extracted most often from several sampled generations. */
public final class MajorityVote {
    private MajorityVote() {
    }

    /**
     * The most frequent of {@code answers}; among equally frequent ones the earliest seen, so that one sample votes
     * for itself and ties go to the first generation.
     */
    public static String of(List<String> answers) {
        if (answers.isEmpty()) {
            throw new IllegalArgumentException("a vote needs at least one answer");
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : answers) {
            counts.merge(a, 1, Integer::sum);
        }
        String best = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (best == null || e.getValue() > counts.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }
}
