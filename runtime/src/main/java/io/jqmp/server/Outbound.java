package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;

/** Where a connection's messages go: one complete, encoded message at a time. */
interface Outbound {

    /** Queues one message for the client. Any thread; never blocks. */
    void send(byte[] message);

    /**
     * Queues a command's answer, marking {@code event} (null unless recorded) as answered now and
     * as written once it is. Any thread; never blocks.
     */
    default void send(byte[] message, CommandEvent event) {
        send(message);
    }

    /**
     * Sends an out-of-band answer as soon as it can: possibly written to the socket on the calling
     * thread (see {@code ConnectionWriter}), else queued as {@link #send(byte[], CommandEvent)}
     * does. Any thread; never blocks.
     */
    default void sendNow(byte[] message, CommandEvent event) {
        send(message, event);
    }
}
