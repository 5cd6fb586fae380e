package io.jqmp.internal.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * A socket in the clear, read and written through its channel. Threading as {@link Transport}.
 *
 * <p>The channel starts in blocking mode. {@link #enterNonBlockingMode} switches it for good, so
 * that a thread other than the writer can {@link #tryWrite} without ever waiting for the client:
 * from then on {@link #read} and {@link #write} wait for the socket on a selector of their own
 * (one each, so the reading and the writing thread never share one), and keep their blocking
 * contract for their callers.
 */
public final class PlainTransport implements Transport {
    private final SocketChannel channel;
    /** Set, with the selectors, once the channel is non-blocking; never unset. */
    private volatile boolean nonBlocking;
    private Selector readable;
    private Selector writable;
    private volatile boolean closed;

    /** @param channel a connected channel in blocking mode */
    public PlainTransport(SocketChannel channel) {
        this.channel = channel;
    }

    @Override
    public void open() {
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = channel.read(dst);
        if (nonBlocking) {
            while (n == 0 && dst.hasRemaining()) {
                await(readable);
                n = channel.read(dst);
            }
        }
        return n;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (channel.write(src) == 0 && nonBlocking) {
                await(writable);
            }
        }
    }

    /**
     * Writes what the socket takes of {@code src} now, without waiting (what is left stays in
     * {@code src}). Any thread, while no other thread writes; only after {@link #enterNonBlockingMode}.
     * Unlike a blocking write, an interrupt of the calling thread does not close the channel.
     *
     * @throws IOException the write failed (the client went away, or the channel was closed)
     */
    public void tryWrite(ByteBuffer src) throws IOException {
        if (!nonBlocking) {
            throw new IllegalStateException("not in non-blocking mode");
        }
        while (src.hasRemaining() && channel.write(src) > 0) {
            // the socket took some: offer the rest
        }
    }

    /**
     * Puts the channel in non-blocking mode for good. Reading thread, between reads, while no
     * thread writes (the switch waits for any read or write in progress); idempotent.
     *
     * @throws IOException the channel is closed, or a selector cannot be had (too many files)
     */
    public void enterNonBlockingMode() throws IOException {
        if (nonBlocking) {
            return;
        }
        Selector r = Selector.open();
        Selector w;
        try {
            w = Selector.open();
        } catch (IOException e) {
            r.close();
            throw e;
        }
        try {
            channel.configureBlocking(false);
            channel.register(r, SelectionKey.OP_READ);
            channel.register(w, SelectionKey.OP_WRITE);
        } catch (IOException | RuntimeException e) {
            r.close(); // closing the selectors lets go of the channel's registrations
            w.close();
            if (channel.isOpen() && !channel.isBlocking()) {
                channel.configureBlocking(true); // a non-blocking read without a selector would spin
            }
            throw e;
        }
        readable = r;
        writable = w;
        nonBlocking = true;
        if (closed) {
            closeSelectors(); // a close that came during the switch found no selectors to close
        }
    }

    /** Whether {@link #enterNonBlockingMode} has switched the channel. Any thread. */
    public boolean isNonBlocking() {
        return nonBlocking;
    }

    /**
     * Waits until the selector's one channel is ready. A close or an interrupt meanwhile fails as
     * it fails a blocked channel operation; as there, an interrupt closes the channel. (A
     * non-blocking channel ignores interrupts, and a selector returns at once for an interrupted
     * thread: without this check an interrupted reader would spin.)
     */
    private void await(Selector selector) throws IOException {
        failIfInterrupted();
        try {
            selector.select();
            selector.selectedKeys().clear();
        } catch (ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        }
        if (closed) {
            throw new AsynchronousCloseException();
        }
        failIfInterrupted();
    }

    private void failIfInterrupted() throws ClosedByInterruptException {
        if (Thread.currentThread().isInterrupted()) {
            close();
            throw new ClosedByInterruptException();
        }
    }

    @Override
    public ByteBuffer newWriteBuffer(int capacity) {
        return ByteBuffer.allocateDirect(capacity);
    }

    @Override
    public boolean allowsDirectWrites() {
        return true;
    }

    /**
     * Closes the channel, and in non-blocking mode its selectors too: a closed channel that is
     * still registered keeps its socket open until each selector lets go of it, and closing a
     * selector also wakes a thread waiting on it (which then fails as a blocked read or write
     * would). A selector's close waits for a thread inside it to leave, which it does at once.
     */
    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all that was asked for
        }
        if (nonBlocking) {
            closeSelectors();
        }
    }

    private void closeSelectors() {
        for (Selector s : new Selector[] {readable, writable}) {
            try {
                s.close();
            } catch (IOException e) {
                // closing is all that was asked for
            }
        }
    }
}
