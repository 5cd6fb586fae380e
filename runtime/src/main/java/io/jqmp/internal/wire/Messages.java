package io.jqmp.internal.wire;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.protocol.QmpException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the server's messages as JSON values, inserting members in the order QEMU does (which
 * matters only within one hash bucket; {@link JsonWriter} orders members as QEMU's QDict).
 * Stateless and thread-safe.
 */
public final class Messages {
    private Messages() {
    }

    /** {@code {"QMP": {"version": VERSION, "capabilities": [...]}}}. */
    public static Map<String, Object> greeting(Map<String, Object> version, List<String> capabilities) {
        Map<String, Object> qmp = new LinkedHashMap<>();
        qmp.put("version", version);
        qmp.put("capabilities", List.copyOf(capabilities));
        Map<String, Object> greeting = new LinkedHashMap<>();
        greeting.put("QMP", qmp);
        return greeting;
    }

    /** {@code {"return": VALUE, "id": ID}}; the id only when the request had one. */
    public static Map<String, Object> success(Object value, Request.Id id) {
        Map<String, Object> rsp = new LinkedHashMap<>();
        rsp.put("return", value == null ? new LinkedHashMap<String, Object>() : value);
        putId(rsp, id);
        return rsp;
    }

    /** {@code {"error": {"class": C, "desc": D}, "id": ID}}; the id only when known. */
    public static Map<String, Object> error(ErrorClass errorClass, String desc, Request.Id id) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("class", errorClass.name());
        error.put("desc", desc);
        Map<String, Object> rsp = new LinkedHashMap<>();
        rsp.put("error", error);
        putId(rsp, id);
        return rsp;
    }

    public static Map<String, Object> error(QmpException e, Request.Id id) {
        return error(e.errorClass(), e.desc(), id);
    }

    /**
     * {@code {"event": NAME, "timestamp": {"seconds": S, "microseconds": U}, "data": DATA}}; no
     * {@code data} member when {@code data} is null (events declared without data).
     */
    public static Map<String, Object> event(String name, Map<String, Object> data, long epochMicros) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event", name);
        Map<String, Object> timestamp = new LinkedHashMap<>();
        timestamp.put("seconds", epochMicros / 1_000_000);
        timestamp.put("microseconds", epochMicros % 1_000_000);
        event.put("timestamp", timestamp);
        if (data != null) {
            event.put("data", data);
        }
        return event;
    }

    private static void putId(Map<String, Object> rsp, Request.Id id) {
        if (id != null) {
            rsp.put("id", id.value());
        }
    }
}
