package io.jqmp.server;

/** What a handler may know of the client connection it serves. */
public interface Session {

    /** A number unique within the server, in connection order. */
    long id();

    /** The listener the client connected to. */
    Endpoint endpoint();

    /** Whether the client enabled the {@code oob} capability. */
    boolean oobEnabled();
}
