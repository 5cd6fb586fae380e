package io.jqmp.server;

/** What a handler may know of the client connection it serves. Thread-safe. */
public interface Session {

    /**
     * The connection's number.
     *
     * @return a number unique within the server, in connection order
     */
    long id();

    /**
     * Where the client connected.
     *
     * @return the listener's endpoint
     */
    Endpoint endpoint();

    /**
     * Whether the client enabled the {@code oob} capability.
     *
     * @return true if it may send {@code exec-oob}
     */
    boolean oobEnabled();
}
