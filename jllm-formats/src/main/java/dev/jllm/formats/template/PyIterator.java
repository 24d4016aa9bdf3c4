package dev.jllm.formats.template;

import java.util.List;
import java.util.function.Supplier;

/**
 * A one-shot Python iterator or generator (what {@code map}, {@code select}, {@code items} and
 * friends return): iterable once, truthy, without a length, and not JSON serializable.
 */
final class PyIterator {
    /** Computes the items when first iterated, so that errors surface then, as a Python generator's do. */
    private final Supplier<List<Object>> items;
    /** Python's type name, for error messages: {@code generator}, {@code dict_itemiterator}, … */
    final String typeName;
    private boolean consumed;

    PyIterator(List<Object> items, String typeName) {
        this(() -> items, typeName);
    }

    PyIterator(Supplier<List<Object>> items, String typeName) {
        this.items = items;
        this.typeName = typeName;
    }

    /** What is left to iterate; empty after the first call, as a drained Python iterator is. */
    List<Object> drain() {
        if (consumed) {
            return List.of();
        }
        consumed = true;
        return items.get();
    }
}
