package io.jqmp.client;

import java.util.Map;

/**
 * One asynchronous event from the server, e.g. {@code STOP}. Immutable as long as nobody modifies
 * the maps, which the client never does after delivery started.
 *
 * @param name         the event name, e.g. {@code STOP}
 * @param data         the {@code data} member, or {@code null} when the event has none
 * @param seconds      {@code timestamp.seconds}, or -1 when absent
 * @param microseconds {@code timestamp.microseconds}, or -1 when absent
 * @param message      the whole message as received (value model)
 */
public record QmpEvent(String name, Map<String, Object> data, long seconds, long microseconds,
                       Map<String, Object> message) {
}
