package io.jqmp.internal.wire;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON object as a QMP server sent it, its members in the order they came: QEMU's own order
 * (QDict buckets ascending, the later-inserted key first within a bucket) as QEMU wrote it.
 * {@link JsonWriter} writes it back in that order within each bucket instead of reversing the
 * insertion order as it does for objects built in Java, so a message passed on (by a proxy, or
 * from a recording) reads as the server wrote it. Made by a {@link JsonStreamer} that keeps the
 * wire form ({@link JsonStreamer#keepWireForm}).
 */
public final class ReceivedObject extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;

    /**
     * {@code value} with every received object in it (at any depth) turned into a plain map with
     * the same members in the same order: written as QEMU writes a QDict it parsed from those
     * bytes, as for a request's id echoed back. Values without received objects come back as they
     * are.
     */
    public static Object asBuilt(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            boolean changed = value instanceof ReceivedObject;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Object v = asBuilt(e.getValue());
                changed |= v != e.getValue();
                out.put((String) e.getKey(), v);
            }
            return changed ? out : value;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            boolean changed = false;
            for (Object element : list) {
                Object v = asBuilt(element);
                changed |= v != element;
                out.add(v);
            }
            return changed ? out : value;
        }
        return value;
    }
}
