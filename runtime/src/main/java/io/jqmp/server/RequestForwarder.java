package io.jqmp.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Answers, asynchronously, every request a client sends once it negotiated: the hook a proxy or
 * a recorded-conversation mock is built on ({@link QmpServer.Builder#forwarder}). With a forwarder
 * the server's own command table serves negotiation only; requests are checked for their shape
 * (QEMU's texts), and then every command, whatever its name and arguments, goes here.
 *
 * <p>The server keeps its invariants around the forwarder: per connection, in-band answers go
 * out in request order whatever order they are given in; a client may have at most
 * {@code maxPendingInband} in-band requests unanswered before its reader stops reading;
 * out-of-band requests are handed over at once, never behind in-band ones, and their answers
 * go out as soon as they are given; answers for a client that disconnected are dropped.
 */
@FunctionalInterface
public interface RequestForwarder {

    /**
     * Takes one request. Called on the client's reader thread, in the client's arrival order;
     * must not block (hand the request on and return). Exactly one answer must follow, from any
     * thread, through {@code reply}; an exception thrown here is answered as an internal error.
     * The reader thread is not interrupted while in here (a close of the connection meanwhile
     * interrupts it once this returns), so this may write to a channel of its own, such as a
     * proxy's upstream: an interrupt would close that channel.
     *
     * @param request the request as the client sent it
     * @param reply   where its answer goes
     */
    void forward(ForwardedRequest request, Reply reply);

    /**
     * One request of one client.
     *
     * @param session    the client's connection
     * @param command    the command's name ({@code execute} or {@code exec-oob})
     * @param arguments  the {@code arguments} member, or null when absent
     * @param outOfBand  whether it came with {@code exec-oob}
     * @param message    the whole request as parsed, {@code id} included (value model; do not modify)
     */
    record ForwardedRequest(Session session, String command, Map<String, Object> arguments, boolean outOfBand,
                            Map<String, Object> message) {
    }

    /**
     * The answer to one forwarded request. Any thread; never blocks; only the first answer counts.
     * The answer to an out-of-band request may be written to the client's socket on the calling
     * thread (one non-blocking write, when nothing else is being written to that client), which
     * saves a thread wake-up; anything else is queued for the connection's writer thread.
     */
    interface Reply {

        /**
         * Answers with a message such as {@code {"return": ...}} or {@code {"error": {...}}}; the
         * server replaces any {@code id} member with the client's own (or none when the request
         * had none) and writes the rest unchanged, in QEMU's member order.
         *
         * @param answer the answer message (value model)
         */
        void answer(Map<String, Object> answer);

        /**
         * Answers with a message already encoded, as an upstream QMP server wrote it: one JSON
         * object in QEMU's compact form (no line end) with a top-level {@code id} member whose
         * value spans {@code message[idFrom, idTo)}. The server writes these bytes with the
         * client's id in that place, or without the member when the request had none, and
         * otherwise unchanged: how a proxy passes its upstream's answers on exactly. The bytes are
         * trusted to be that (a server in pretty mode, or one that finds no {@code "id": } before
         * {@code idFrom}, parses them and answers as {@link #answer(Map)} does, which is also what
         * this default implementation does).
         *
         * @param message the answer's bytes (not modified, not kept after the call)
         * @param idFrom  where the value of its {@code id} member starts
         * @param idTo    where it ends (exclusive)
         * @throws IllegalArgumentException the bytes are not one JSON object
         */
        default void answer(byte[] message, int idFrom, int idTo) {
            Map<String, Object> members = EncodedAnswers.parse(message);
            members.remove("id"); // the upstream's
            answer(members);
        }

        /**
         * Answers with {@code {"error": {"class": errorClass, "desc": desc}}}.
         *
         * @param errorClass the error class, e.g. {@code GenericError}
         * @param desc       the text for the client
         */
        default void error(String errorClass, String desc) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("class", errorClass);
            error.put("desc", desc);
            answer(Map.of("error", error));
        }
    }
}
