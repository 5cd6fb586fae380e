package io.jqmp.server;

import io.jqmp.protocol.QmpException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps validated QMP arguments onto a Java record. A component {@code maxBandwidth} reads the
 * member {@code max-bandwidth} (or {@code maxBandwidth}); absent optional members become null,
 * false or 0. Supported component types: String, boolean, long/int (and boxes), double, BigInteger,
 * enums (by QAPI value, hyphens as underscores, case-insensitive), nested records, {@code List<T>}
 * of those, {@code Map<String, Object>} and {@code Object} (the raw value).
 */
final class RecordMapper {
    private RecordMapper() {
    }

    static <R extends Record> R map(Map<String, Object> members, Class<R> type) {
        return type.cast(toRecord(members, type));
    }

    private static Object toRecord(Map<?, ?> members, Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            String hyphen = hyphenate(c.getName());
            Object raw = members.containsKey(hyphen) ? members.get(hyphen) : members.get(c.getName());
            values[i] = convert(raw, c.getType(), c.getGenericType());
        }
        try {
            Constructor<?> ctor = type.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName() + " from arguments", e);
        }
    }

    private static Object convert(Object raw, Class<?> type, Type generic) {
        if (raw == null) {
            if (type == boolean.class) {
                return false;
            }
            if (type == long.class) {
                return 0L;
            }
            if (type == int.class) {
                return 0;
            }
            if (type == double.class) {
                return 0.0;
            }
            return null;
        }
        if (type == Object.class || type.isInstance(raw) && !(raw instanceof List) && !(raw instanceof Map)) {
            return raw;
        }
        if (type == long.class || type == Long.class) {
            return ((Number) raw).longValue();
        }
        if (type == int.class || type == Integer.class) {
            return Math.toIntExact(((Number) raw).longValue());
        }
        if (type == double.class || type == Double.class) {
            return ((Number) raw).doubleValue();
        }
        if (type == BigInteger.class) {
            return raw instanceof BigInteger b ? b : BigInteger.valueOf(((Number) raw).longValue());
        }
        if (type.isEnum()) {
            String wanted = raw.toString().replace('-', '_');
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equalsIgnoreCase(wanted)) {
                    return constant;
                }
            }
            throw new QmpException("value '" + raw + "' has no counterpart in " + type.getSimpleName());
        }
        if (type.isRecord() && raw instanceof Map<?, ?> m) {
            return toRecord(m, type);
        }
        if (type == List.class && raw instanceof List<?> list) {
            Type element = generic instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            Class<?> elementClass = element instanceof Class<?> c ? c
                    : element instanceof ParameterizedType p ? (Class<?>) p.getRawType() : Object.class;
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(convert(o, elementClass, element));
            }
            return Collections.unmodifiableList(out);
        }
        if (type == Map.class && raw instanceof Map) {
            return raw;
        }
        throw new IllegalArgumentException("cannot map " + raw.getClass().getSimpleName() + " onto " + type.getName());
    }

    /** {@code maxBandwidth} → {@code max-bandwidth}. */
    static String hyphenate(String camel) {
        StringBuilder sb = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch)) {
                sb.append('-').append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
