package dev.jllm.formats.template;

import java.util.List;

/** The {@code loop} variable inside a {@code for}: position, neighbours, {@code cycle}, and recursion for recursive loops. */
final class LoopState {
    private final List<Object> items;
    int index0;
    final int depth0;
    /** Calls the loop body again on new items; {@code null} unless the loop is {@code recursive}. */
    final JinjaCallable recurse;
    private Object lastChanged = NOTHING;
    private static final Object NOTHING = new Object();

    LoopState(List<Object> items, int depth0, JinjaCallable recurse) {
        this.items = items;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    /** The attribute {@code name}, or {@code Undefined} when the loop has none. */
    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.hint("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : Undefined.hint("there is no next item");
            case "cycle" -> (JinjaCallable) (args, kwargs) -> {
                if (args.isEmpty()) {
                    throw TemplateException.type("no items for cycling given");
                }
                return args.get(index0 % args.size());
            };
            case "changed" -> (JinjaCallable) (args, kwargs) -> {
                Object value = args.size() == 1 ? args.get(0) : Tuple.of(args);
                boolean changed = lastChanged == NOTHING || !PyOps.eq(lastChanged, value);
                lastChanged = value;
                return changed;
            };
            default -> Undefined.member(this, name);
        };
    }
}
