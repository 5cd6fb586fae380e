package io.jqmp.server;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Answers a forwarder passes on already encoded ({@link RequestForwarder.Reply#answer(byte[], int,
 * int)}): the upstream's bytes with the client's id put in place of the upstream's. Stateless.
 */
final class EncodedAnswers {
    private static final byte[] ID_KEY = "\"id\": ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LINE_END = {'\r', '\n'};

    private EncodedAnswers() {
    }

    /**
     * {@code message} as the client reads it: the id value at {@code [idFrom, idTo)} replaced by
     * {@code clientId}'s JSON text ({@code null}: the whole member removed, with one of the
     * {@code ", "} around it), and the line end. Null when the bytes do not have that shape
     * ({@code "id": } right before {@code idFrom}, bounds inside the message): the caller then
     * parses them instead.
     *
     * @param clientId the client's id as JSON text, or null when its request had none
     */
    static byte[] withId(byte[] message, int idFrom, int idTo, String clientId) {
        int member = idFrom - ID_KEY.length;
        if (member < 1 || idTo <= idFrom || idTo >= message.length
                || !Arrays.equals(message, member, idFrom, ID_KEY, 0, ID_KEY.length)) {
            return null;
        }
        int cutFrom;
        int cutTo;
        byte[] insert;
        if (clientId != null) {
            cutFrom = idFrom;
            cutTo = idTo;
            insert = clientId.getBytes(StandardCharsets.ISO_8859_1); // JsonWriter writes ASCII only
        } else if (separatorAt(message, member - 2)) {
            cutFrom = member - 2; // {"return": {}, "id": 1} -> {"return": {}}
            cutTo = idTo;
            insert = new byte[0];
        } else if (separatorAt(message, idTo)) {
            cutFrom = member; // {"id": 1, "error": {...}} -> {"error": {...}}
            cutTo = idTo + 2;
            insert = new byte[0];
        } else {
            cutFrom = member; // {"id": 1} -> {}
            cutTo = idTo;
            insert = new byte[0];
        }
        byte[] out = new byte[cutFrom + insert.length + (message.length - cutTo) + LINE_END.length];
        System.arraycopy(message, 0, out, 0, cutFrom);
        System.arraycopy(insert, 0, out, cutFrom, insert.length);
        System.arraycopy(message, cutTo, out, cutFrom + insert.length, message.length - cutTo);
        System.arraycopy(LINE_END, 0, out, out.length - LINE_END.length, LINE_END.length);
        return out;
    }

    private static boolean separatorAt(byte[] b, int i) {
        return i >= 0 && i + 1 < b.length && b[i] == ',' && b[i + 1] == ' ';
    }

    /**
     * The message in the value model, for a server that cannot pass the bytes on.
     *
     * @throws IllegalArgumentException they are not one JSON object
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(byte[] message) {
        JsonStreamer streamer = new JsonStreamer();
        streamer.keepWireForm(); // members in the upstream's order, as the bytes would have had them
        List<JsonResult> results = streamer.feedAll(message);
        if (results.size() != 1 || !(results.get(0) instanceof JsonResult.Value v) || !(v.value() instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("an encoded answer must be one JSON object: "
                    + new String(message, StandardCharsets.ISO_8859_1));
        }
        return (Map<String, Object>) m;
    }
}
