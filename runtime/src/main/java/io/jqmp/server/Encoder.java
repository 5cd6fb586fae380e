package io.jqmp.server;

import io.jqmp.internal.wire.JsonWriter;
import java.util.Map;

/** Encodes messages as this server writes them (compact, or pretty as QEMU's {@code pretty=on}). Immutable. */
record Encoder(boolean pretty) {

    /**
     * One message as the client will read it. IllegalArgumentException only when it holds a value
     * that is not JSON, which only a handler's result can. Any thread.
     */
    byte[] encode(Map<String, Object> message) {
        return JsonWriter.message(message, pretty);
    }
}
