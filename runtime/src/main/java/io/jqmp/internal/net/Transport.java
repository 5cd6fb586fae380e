package io.jqmp.internal.net;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How one connection's bytes reach its socket: {@link PlainTransport} in the clear,
 * {@link TlsTransport} through TLS.
 *
 * <p>Threading: {@link #open} and {@link #read} are called by one reading thread, {@link #write}
 * by one writing thread, possibly at the same time as reads; {@link #close} by any thread, and it
 * never blocks. Only a transport whose {@link #allowsDirectWrites()} is true may also be written by
 * a thread other than its writer (for instance the server's monitor thread writing a small answer
 * straight to the socket when the writer is idle): a TLS connection's record layer belongs to one
 * writing thread, so everything it sends must go through that thread.
 */
public sealed interface Transport permits PlainTransport, TlsTransport {

    /**
     * What must happen before the first byte of QMP: nothing in the clear, the TLS handshake
     * (bounded by its timeout) otherwise. Reading thread, once, before {@link #read}.
     *
     * @throws IOException the connection cannot be used (handshake failed or timed out)
     */
    void open() throws IOException;

    /** Reads into {@code dst}; returns the bytes read (at least one) or -1 at the end of input. Reading thread. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes all of {@code src}, blocking until done. Writing thread. */
    void write(ByteBuffer src) throws IOException;

    /** A buffer suited to {@link #write}: direct for a plain socket, on the heap for TLS. */
    ByteBuffer newWriteBuffer(int capacity);

    /** Whether threads other than the writer may write whole messages (see the class comment). */
    boolean allowsDirectWrites();

    /** Closes the socket at once (a blocked read or write fails). Any thread; idempotent; never blocks. */
    void close();
}
