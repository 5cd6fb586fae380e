package io.jqmp.server;

/** Where a connection's messages go: one complete, encoded message at a time. */
interface Outbound {

    /** Queues one message for the client. Any thread; never blocks. */
    void send(byte[] message);
}
