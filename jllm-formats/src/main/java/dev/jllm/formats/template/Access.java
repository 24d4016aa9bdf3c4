package dev.jllm.formats.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Jinja2's sandboxed {@code obj.name}, {@code obj[key]} and {@code obj[a:b:c]}: Python attribute first, then item, else Undefined. */
final class Access {
    private Access() {
    }

    /** {@code obj.name}. */
    static Object attribute(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        Object method = Methods.bind(obj, name);
        if (method != null) {
            return method;
        }
        if (obj instanceof Map<?, ?> m) {
            Object k = PyOps.key(name);
            return m.containsKey(k) ? m.get(k) : Undefined.member(obj, name);
        }
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : Undefined.member(obj, name);
        }
        if (obj instanceof LoopState loop) {
            return loop.attribute(name);
        }
        if (obj instanceof Renderer.RecursiveLoop loop) {
            return loop.state().attribute(name);
        }
        return Undefined.member(obj, name);
    }

    /** {@code obj[key]}. */
    static Object item(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (key instanceof Undefined u && !(obj instanceof Map)) {
            throw u.error();
        }
        if (obj instanceof Map<?, ?> m) {
            Object k = PyOps.key(key);
            if (m.containsKey(k)) {
                return m.get(k);
            }
        } else if (obj instanceof List<?> l && isIndex(key)) {
            long i = PyOps.asLong(key);
            long at = i < 0 ? i + l.size() : i;
            if (at >= 0 && at < l.size()) {
                return l.get((int) at);
            }
            return Undefined.member(obj, key);
        } else if (PyOps.isString(obj) && isIndex(key)) {
            String s = PyOps.text(obj);
            int n = s.codePointCount(0, s.length());
            long i = PyOps.asLong(key);
            long at = i < 0 ? i + n : i;
            if (at >= 0 && at < n) {
                int off = s.offsetByCodePoints(0, (int) at);
                return Character.toString(s.codePointAt(off));
            }
            return Undefined.member(obj, key);
        }
        String name = PyOps.text(key);
        if (name != null) {
            return attribute(obj, name);
        }
        return Undefined.member(obj, key);
    }

    private static boolean isIndex(Object key) {
        return key instanceof Long || key instanceof Boolean;
    }

    /** {@code obj[start:stop:step]}, each part {@code null} when left out. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        long st = step == null ? 1 : sliceIndex(step);
        if (st == 0) {
            throw TemplateException.value("slice step cannot be zero");
        }
        if (PyOps.isString(obj)) {
            String s = PyOps.text(obj);
            int[] cps = s.codePoints().toArray();
            StringBuilder sb = new StringBuilder();
            for (long i : indices(cps.length, start, stop, st)) {
                sb.appendCodePoint(cps[(int) i]);
            }
            return sb.toString();
        }
        if (obj instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (long i : indices(l.size(), start, stop, st)) {
                out.add(l.get((int) i));
            }
            return obj instanceof Tuple ? Tuple.of(out) : out;
        }
        if (obj instanceof Map) {
            throw TemplateException.type("unhashable type: 'slice'");
        }
        throw TemplateException.type("'" + PyText.typeName(obj) + "' object is not subscriptable");
    }

    private static long sliceIndex(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (!isIndex(v)) {
            throw TemplateException.type("slice indices must be integers or None or have an __index__ method");
        }
        return PyOps.asLong(v);
    }

    // Python's slice.indices(n), then the positions it visits
    private static long[] indices(int n, Object startV, Object stopV, long step) {
        long start;
        long stop;
        if (step > 0) {
            start = startV == null ? 0 : clamp(sliceIndex(startV), n, 0, n);
            stop = stopV == null ? n : clamp(sliceIndex(stopV), n, 0, n);
        } else {
            start = startV == null ? n - 1 : clamp(sliceIndex(startV), n, -1, n - 1);
            stop = stopV == null ? -1 : clamp(sliceIndex(stopV), n, -1, n - 1);
        }
        long count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (start > stop ? (start - stop - step - 1) / -step : 0);
        long[] out = new long[(int) count];
        for (int i = 0; i < count; i++) {
            out[i] = start + i * step;
        }
        return out;
    }

    private static long clamp(long i, int n, long lo, long hi) {
        if (i < 0) {
            i += n;
            return i < 0 ? lo : i;
        }
        return Math.min(i, hi);
    }
}
