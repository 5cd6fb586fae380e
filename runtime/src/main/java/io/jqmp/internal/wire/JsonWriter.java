package io.jqmp.internal.wire;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes values of the package's value model as JSON exactly like QEMU's JSON writer: separators
 * {@code ", "} and {@code ": "}, pure ASCII with upper-case {@code \\uXXXX} escapes, doubles as
 * C's {@code %.17g}, and object members in QDict hash order rather than insertion order.
 *
 * <p>Accepted values: {@code null}, {@link String}, {@link Boolean}, {@link Long}, {@link Integer},
 * {@link Short}, {@link Byte}, {@link BigInteger} (int64 or uint64 range), {@link Double},
 * {@link Float} (finite only), any {@link Map} with {@link String} keys, any {@link List} and
 * {@code Object[]}. Anything else throws {@link IllegalArgumentException}.
 *
 * <p>Threading: stateless; all methods are thread-safe. The value must not be modified while it
 * is being written.
 */
public final class JsonWriter {

    private static final int BUCKETS = 512;
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final MathContext SEVENTEEN_DIGITS = new MathContext(17, RoundingMode.HALF_EVEN);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private JsonWriter() {
    }

    /** Compact JSON text of {@code value}. */
    public static String toJson(Object value) {
        return toJson(value, false);
    }

    /** JSON text of {@code value}, pretty-printed (newline and 4-space indent per level) if asked. */
    public static String toJson(Object value, boolean pretty) {
        StringBuilder sb = new StringBuilder(128);
        write(sb, value, pretty, 0, "\n");
        return sb.toString();
    }

    /**
     * The exact bytes QEMU sends for one server message: the JSON text and a newline, with every
     * newline written as CR LF. Always ASCII.
     */
    public static byte[] message(Object value, boolean pretty) {
        StringBuilder sb = new StringBuilder(128);
        write(sb, value, pretty, 0, "\r\n");
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1); // all ASCII (quote escapes the rest)
    }

    private static void write(StringBuilder sb, Object value, boolean pretty, int depth, String nl) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            quote(sb, s);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            sb.append(((Number) value).longValue());
        } else if (value instanceof Boolean b) {
            sb.append(b.booleanValue() ? "true" : "false");
        } else if (value instanceof Map<?, ?> map) {
            writeObject(sb, map, pretty, depth, nl);
        } else if (value instanceof List<?> list) {
            sb.append('[');
            int i = 0;
            for (Object element : list) {
                element(sb, i++, pretty, depth + 1, nl);
                write(sb, element, pretty, depth + 1, nl);
            }
            close(sb, ']', pretty, depth, nl);
        } else if (value instanceof Object[] array) {
            sb.append('[');
            for (int i = 0; i < array.length; i++) {
                element(sb, i, pretty, depth + 1, nl);
                write(sb, array[i], pretty, depth + 1, nl);
            }
            close(sb, ']', pretty, depth, nl);
        } else if (value instanceof Double d) {
            formatDouble(sb, d);
        } else if (value instanceof Float f) {
            formatDouble(sb, f.doubleValue());
        } else if (value instanceof BigInteger big) {
            if (big.compareTo(INT64_MIN) < 0 || big.compareTo(UINT64_MAX) > 0) {
                throw new IllegalArgumentException("integer out of int64/uint64 range: " + big);
            }
            sb.append(big);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    /** Separator before element {@code i} of a container whose members sit at {@code depth}. */
    private static void element(StringBuilder sb, int i, boolean pretty, int depth, String nl) {
        if (i > 0) {
            sb.append(pretty ? "," : ", ");
        }
        if (pretty) {
            newline(sb, depth, nl);
        }
    }

    /** QEMU puts the closing bracket on its own line in pretty mode, even for empty containers. */
    private static void close(StringBuilder sb, char bracket, boolean pretty, int depth, String nl) {
        if (pretty) {
            newline(sb, depth, nl);
        }
        sb.append(bracket);
    }

    private static void newline(StringBuilder sb, int depth, String nl) {
        sb.append(nl);
        for (int i = 0; i < depth; i++) {
            sb.append("    ");
        }
    }

    private static void writeObject(StringBuilder sb, Map<?, ?> map, boolean pretty, int depth, String nl) {
        sb.append('{');
        int n = map.size();
        if (n > 0) {
            String[] keys = new String[n];
            Object[] values = new Object[n];
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (i == n) {
                    throw new IllegalArgumentException("map changed while writing");
                }
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("object key is not a string: " + e.getKey());
                }
                keys[i] = key;
                values[i] = e.getValue();
                i++;
            }
            if (i != n) {
                throw new IllegalArgumentException("map changed while writing");
            }
            // Sort by bucket ascending; within a bucket the later key first, as QDict does, but
            // an object received from a server is in that order already and keeps it. The low
            // half of each sort key is the (for built objects: reversed) insertion index.
            boolean received = map instanceof ReceivedObject;
            long[] order = new long[n];
            for (int k = 0; k < n; k++) {
                order[k] = ((long) bucket(keys[k]) << 32) | (received ? k : n - 1 - k);
            }
            Arrays.sort(order);
            for (int k = 0; k < n; k++) {
                int idx = received ? (int) order[k] : n - 1 - (int) order[k];
                element(sb, k, pretty, depth + 1, nl);
                quote(sb, keys[idx]);
                sb.append(": ");
                write(sb, values[idx], pretty, depth + 1, nl);
            }
        }
        close(sb, '}', pretty, depth, nl);
    }

    /**
     * The keys of {@code map} in the order QEMU's QDict iterates them (bucket ascending, later
     * insertion first within a bucket): the order QEMU checks request members in.
     */
    public static List<String> keysInQemuOrder(Map<String, ?> map) {
        int n = map.size();
        String[] keys = map.keySet().toArray(new String[0]);
        long[] order = new long[n];
        for (int k = 0; k < n; k++) {
            order[k] = ((long) bucket(keys[k]) << 32) | (n - 1 - k);
        }
        Arrays.sort(order);
        List<String> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            out.add(keys[n - 1 - (int) order[k]]);
        }
        return out;
    }

    /**
     * QDict bucket of a key: tdb_hash over the key's bytes as QEMU stores them (UTF-8, with
     * U+0000 as C0 80), modulo 512.
     */
    static int bucket(String key) {
        int len = key.length();
        // The common key, printable ASCII: one pass, the shift kept instead of a division per byte.
        int v = 0;
        int shift = 0;
        for (int i = 0; i < len; i++) {
            char c = key.charAt(i);
            if (c == 0 || c >= 0x80) {
                return bucketOfAnyKey(key);
            }
            v += c << shift;
            shift += 5;
            if (shift >= 24) {
                shift -= 24;
            }
        }
        v += 0x238F13AF * len;
        return Integer.remainderUnsigned(1103515243 * v + 12345, BUCKETS);
    }

    /** {@link #bucket} for any key: its UTF-8 bytes (U+0000 as C0 80) measured, then hashed. */
    static int bucketOfAnyKey(String key) {
        int len = key.length();
        int byteLen = 0;
        for (int i = 0; i < len; i++) {
            char c = key.charAt(i);
            if (c != 0 && c < 0x80) {
                byteLen += 1;
            } else if (c < 0x800) {
                byteLen += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(key.charAt(i + 1))) {
                byteLen += 4;
                i++;
            } else {
                byteLen += 3;
            }
        }
        int v = 0x238F13AF * byteLen;
        int n = 0; // byte index
        for (int i = 0; i < len; i++) {
            char c = key.charAt(i);
            if (c != 0 && c < 0x80) {
                v += c << (n++ * 5 % 24);
            } else if (c < 0x800) {
                v += (0xC0 | (c >> 6)) << (n++ * 5 % 24);
                v += (0x80 | (c & 0x3F)) << (n++ * 5 % 24);
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(key.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, key.charAt(++i));
                v += (0xF0 | (cp >> 18)) << (n++ * 5 % 24);
                v += (0x80 | ((cp >> 12) & 0x3F)) << (n++ * 5 % 24);
                v += (0x80 | ((cp >> 6) & 0x3F)) << (n++ * 5 % 24);
                v += (0x80 | (cp & 0x3F)) << (n++ * 5 % 24);
            } else {
                v += (0xE0 | (c >> 12)) << (n++ * 5 % 24);
                v += (0x80 | ((c >> 6) & 0x3F)) << (n++ * 5 % 24);
                v += (0x80 | (c & 0x3F)) << (n++ * 5 % 24);
            }
        }
        int hash = 1103515243 * v + 12345;
        return Integer.remainderUnsigned(hash, BUCKETS);
    }

    /** A JSON string literal as QEMU writes it: ASCII only, invalid code points as U+FFFD. */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        int len = s.length();
        for (int i = 0; i < len; i++) {
            int plain = i;
            while (plain < len && isPlain(s.charAt(plain))) {
                plain++;
            }
            if (plain > i) {
                sb.append(s, i, plain); // a run that needs no escaping, copied at once
                i = plain;
                if (i == len) {
                    break;
                }
            }
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                if (c == '"' || c == '\\') {
                    sb.append('\\');
                }
                sb.append(c);
                continue;
            }
            switch (c) {
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    int cp = c;
                    if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                        cp = Character.toCodePoint(c, s.charAt(++i));
                    }
                    if (!JsonStreamer.isValidCodepoint(cp)) {
                        cp = 0xFFFD; // lone surrogate or noncharacter, as QEMU's decoder rejects them
                    }
                    if (cp > 0xFFFF) {
                        hex4(sb, Character.highSurrogate(cp));
                        hex4(sb, Character.lowSurrogate(cp));
                    } else {
                        hex4(sb, cp);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Printable ASCII other than the quote and the backslash: written as it is. */
    private static boolean isPlain(char c) {
        return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
    }

    private static void hex4(StringBuilder sb, int v) {
        sb.append('\\').append('u')
                .append(HEX[(v >> 12) & 0xF]).append(HEX[(v >> 8) & 0xF])
                .append(HEX[(v >> 4) & 0xF]).append(HEX[v & 0xF]);
    }

    /** C's {@code printf("%.17g", d)}; non-finite values have no JSON form. */
    static void formatDouble(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + d);
        }
        if (d == 0) {
            sb.append(Double.doubleToRawLongBits(d) < 0 ? "-0" : "0");
            return;
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e17) {
            // At most 17 digits, so %.17g prints the integer exactly, without a fraction.
            sb.append((long) d);
            return;
        }
        BigDecimal rounded = new BigDecimal(d).round(SEVENTEEN_DIGITS);
        String digits = rounded.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - rounded.scale(); // decimal exponent of the first digit
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--; // %g drops trailing zeros
        }
        if (d < 0) {
            sb.append('-');
        }
        if (exponent < -4 || exponent >= 17) {
            sb.append(digits.charAt(0));
            if (end > 1) {
                sb.append('.').append(digits, 1, end);
            }
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                sb.append('0');
            }
            sb.append(abs);
        } else if (exponent >= 0) {
            int intDigits = exponent + 1;
            if (end <= intDigits) {
                sb.append(digits, 0, end);
                for (int k = end; k < intDigits; k++) {
                    sb.append('0');
                }
            } else {
                sb.append(digits, 0, intDigits).append('.').append(digits, intDigits, end);
            }
        } else {
            sb.append("0.");
            for (int k = -1; k > exponent; k--) {
                sb.append('0');
            }
            sb.append(digits, 0, end);
        }
    }
}
