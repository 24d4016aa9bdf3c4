package dev.jllm.formats.template;

import java.util.AbstractList;
import java.util.List;

/** What {@code dict.keys()}, {@code .values()} and {@code .items()} return: iterable like a list, printed and typed as Python's views. */
final class DictView extends AbstractList<Object> {
    private final List<Object> items;
    /** {@code dict_keys}, {@code dict_values} or {@code dict_items}. */
    final String typeName;

    DictView(List<Object> items, String typeName) {
        this.items = items;
        this.typeName = typeName;
    }

    @Override
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }
}
