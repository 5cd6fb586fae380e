package io.jqmp.client;

import java.util.Map;

/**
 * One answer as the server sent it ({@link QmpClient#exchange}): a success or an error, with the
 * id the request went out with. Immutable as long as nobody modifies the map or the array, which
 * the client never does after delivery.
 *
 * @param message the whole message as received, {@code id} included (value model)
 * @param bytes   the message's bytes exactly as read, from its opening brace to its closing one
 *     (no line end), when the client had them in one piece: the answer came whole in one read and
 *     is plain JSON (ASCII strings without escapes, integers, no floats); else null. Not to be
 *     modified.
 */
public record QmpAnswer(Map<String, Object> message, byte[] bytes) {

    /**
     * Whether this is an error answer.
     *
     * @return true when the message has an {@code error} member
     */
    public boolean isError() {
        return message.containsKey("error");
    }
}
