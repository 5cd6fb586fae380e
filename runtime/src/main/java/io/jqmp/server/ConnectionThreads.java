package io.jqmp.server;

/**
 * Which threads serve the connections of one listener: each connection has a reader and a writer
 * thread of this kind.
 */
public enum ConnectionThreads {
    /**
     * Virtual threads (the default): any number of connections for little memory; they share the
     * JDK's carrier threads with every other connection of the server. A connection that sends an
     * out-of-band request moves to platform threads while places are free
     * ({@link QmpServer.Builder#oobPlatformConnections}).
     */
    VIRTUAL,
    /**
     * Platform threads, for a management socket with a few clients whose out-of-band answers must
     * not wait for a carrier thread behind other connections' work: the operating system schedules
     * them directly. Each connection costs two threads (and their stacks).
     */
    PLATFORM;

    /** A builder of the threads serving one connection. */
    Thread.Builder builder() {
        return this == PLATFORM ? Thread.ofPlatform().daemon(true) : Thread.ofVirtual();
    }
}
