package io.jqmp.internal.wire;

import io.jqmp.protocol.QmpException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks the shape of a parsed request as QEMU's dispatcher does (members visited in QDict
 * order, first mismatch wins) and reports QEMU's exact error texts. Stateless and thread-safe.
 */
public final class RequestChecker {
    private RequestChecker() {
    }

    /** The request's id, if the value is an object with an {@code id} member (fetched before any check, as QEMU). */
    public static Request.Id idOf(Object value) {
        if (value instanceof Map<?, ?> m && m.containsKey("id")) {
            return new Request.Id(m.get("id"));
        }
        return null;
    }

    /**
     * Whether the value looks out-of-band: {@code exec-oob} present and {@code execute} absent.
     * Such requests are answered at once, even when they fail (QEMU's {@code qmp_is_oob}).
     */
    public static boolean looksOutOfBand(Object value) {
        return value instanceof Map<?, ?> m && m.containsKey("exec-oob") && !m.containsKey("execute");
    }

    /**
     * Checks a request of the current dialect.
     *
     * @param oobEnabled whether the session enabled the {@code oob} capability; without it
     *        {@code exec-oob} is an unexpected member
     * @throws QmpException with QEMU's text for the first problem found
     */
    public static Request check(Object value, boolean oobEnabled) {
        if (!(value instanceof Map<?, ?> raw)) {
            throw new QmpException("QMP input must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dict = (Map<String, Object>) raw;
        String command = null;
        boolean oob = false;
        for (String key : JsonWriter.keysInQemuOrder(dict)) {
            Object member = dict.get(key);
            switch (key) {
                case "execute", "exec-oob" -> {
                    if (key.equals("exec-oob") && !oobEnabled) {
                        throw new QmpException("QMP input member 'exec-oob' is unexpected");
                    }
                    if (!(member instanceof String name)) {
                        throw new QmpException("QMP input member '" + key + "' must be a string");
                    }
                    if (command != null) {
                        throw new QmpException("QMP input member 'execute' clashes with 'exec-oob'");
                    }
                    command = name;
                    oob = key.equals("exec-oob");
                }
                case "arguments" -> {
                    if (!(member instanceof Map)) {
                        throw new QmpException("QMP input member 'arguments' must be an object");
                    }
                }
                case "id" -> {
                    // any value
                }
                default -> throw new QmpException("QMP input member '" + key + "' is unexpected");
            }
        }
        if (command == null) {
            throw new QmpException("QMP input lacks member 'execute'");
        }
        return new Request(command, arguments(dict), idOf(dict), oob);
    }

    /**
     * Checks a request of the 2.12 dialect: {@code execute}, {@code arguments}, {@code id} and
     * {@code control} (an object whose only member may be {@code run-oob}, a boolean). Unknown
     * members inside {@code control} are an error here; 2.12 silently ignored them, which is why
     * the mechanism was abandoned.
     */
    public static Request check212(Object value, boolean oobEnabled) {
        if (!(value instanceof Map<?, ?> raw)) {
            throw new QmpException("QMP input must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dict = (Map<String, Object>) raw;
        String command = null;
        boolean runOob = false;
        for (String key : JsonWriter.keysInQemuOrder(dict)) {
            Object member = dict.get(key);
            switch (key) {
                case "execute" -> {
                    if (!(member instanceof String name)) {
                        throw new QmpException("QMP input member 'execute' must be a string");
                    }
                    command = name;
                }
                case "arguments" -> {
                    if (!(member instanceof Map)) {
                        throw new QmpException("QMP input member 'arguments' must be an object");
                    }
                }
                case "control" -> {
                    if (!(member instanceof Map<?, ?> control)) {
                        throw new QmpException("QMP input member 'control' must be a dict");
                    }
                    for (Map.Entry<?, ?> e : control.entrySet()) {
                        if (!"run-oob".equals(e.getKey())) {
                            throw new QmpException("QMP input member 'control' has unknown member '" + e.getKey() + "'");
                        }
                        if (!(e.getValue() instanceof Boolean b)) {
                            throw new QmpException("QMP input member 'control.run-oob' must be a boolean");
                        }
                        runOob = b;
                    }
                }
                case "id" -> {
                    // any value
                }
                default -> throw new QmpException("QMP input member '" + key + "' is unexpected");
            }
        }
        if (command == null) {
            throw new QmpException("QMP input lacks member 'execute'");
        }
        if (runOob && !oobEnabled) {
            throw new QmpException("Please enable Out-Of-Band first for the session during capabilities negotiation");
        }
        return new Request(command, arguments(dict), idOf(dict), runOob);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> arguments(Map<String, Object> dict) {
        Object args = dict.get("arguments");
        return args == null ? new LinkedHashMap<>() : (Map<String, Object>) args;
    }
}
