package io.jqmp.machine;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One migration connection, both directions, with its own framing and fault injection.
 *
 * <p>Frame: type (1 byte), argument (8 bytes, big-endian), payload length (4 bytes), payload.
 * A page is {@code PAGE}, its index, 4096 bytes. The source sends pages and control frames; the
 * destination answers on the same socket (the return path) with page requests, its bitmap of
 * received pages when a paused postcopy resumes, and the final acknowledgement.
 *
 * <p>Threading: one thread reads ({@link #read}); any threads may {@link #send} (serialised by a
 * lock); {@link #close} and {@link #fault} may be called from any thread, never block, and wake a
 * sender that is stalled or throttled.
 */
final class MigrationChannel implements AutoCloseable {
    // source -> destination
    static final byte HELLO = 1;          // arg: page count
    static final byte PAGE = 2;           // arg: page index, payload: the page
    static final byte PRECOPY_END = 3;    // everything sent, the guest may run on the destination
    static final byte POSTCOPY_START = 4; // payload: bitmap of the pages still to come; run now
    static final byte POSTCOPY_END = 5;   // every page sent
    static final byte RESUME = 6;         // arg: page count; a paused postcopy reconnects
    // destination -> source
    static final byte REQUEST = 10;       // arg: page index
    static final byte RECEIVED = 11;      // payload: bitmap of the pages the destination has
    static final byte ACK = 12;           // the destination has everything

    /** A frame as read. */
    record Frame(byte type, long arg, byte[] payload) {
    }

    private static final int MAX_PAYLOAD = 1 << 28;

    private final SocketChannel socket;
    private final ByteBuffer header = ByteBuffer.allocate(13);
    private final ByteBuffer outHeader = ByteBuffer.allocate(13);
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock faultLock = new ReentrantLock();
    private final Condition faultChanged = faultLock.newCondition();
    private final AtomicBoolean closed = new AtomicBoolean();
    // Fault state, guarded by faultLock.
    private long pagesSent;
    private long cutAt = -1;
    private long stallAt = -1;
    private long slowBytesPerSecond;
    private long slowNextNanos;

    MigrationChannel(SocketChannel socket) {
        this.socket = socket;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Closes the socket; the reader and any sender fail with an IOException. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
        faultLock.lock();
        try {
            faultChanged.signalAll();
        } finally {
            faultLock.unlock();
        }
    }

    /**
     * Injects a fault into what this side sends: {@code cut} closes the channel, {@code stall}
     * stops sending without closing, {@code slow} throttles to {@code bandwidth} bytes per second
     * (0 removes it); {@code afterPages} delays cut and stall by that many more pages.
     */
    void fault(String action, long afterPages, long bandwidth) {
        boolean cutNow = false;
        faultLock.lock();
        try {
            switch (action) {
                case "cut" -> {
                    cutAt = pagesSent + afterPages;
                    cutNow = afterPages == 0;
                }
                case "stall" -> stallAt = pagesSent + afterPages;
                case "slow" -> {
                    slowBytesPerSecond = bandwidth;
                    slowNextNanos = System.nanoTime();
                }
                default -> throw new IllegalArgumentException(action);
            }
            faultChanged.signalAll();
        } finally {
            faultLock.unlock();
        }
        if (cutNow) {
            close();
        }
    }

    /** Sends one frame. Blocks while stalled or throttled; IOException once the channel is closed. */
    void send(byte type, long arg, byte[] payload) throws IOException {
        int len = payload == null ? 0 : payload.length;
        sendLock.lock();
        try {
            gate(13 + len);
            outHeader.clear();
            outHeader.put(type).putLong(arg).putInt(len).flip();
            ByteBuffer[] bufs = len == 0 ? new ByteBuffer[] {outHeader}
                    : new ByteBuffer[] {outHeader, ByteBuffer.wrap(payload)};
            long remaining = 13L + len;
            while (remaining > 0) {
                remaining -= socket.write(bufs);
            }
            if (type == PAGE) {
                countPage();
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** Waits while a stall or slow fault says so. */
    private void gate(int bytes) throws IOException {
        faultLock.lock();
        try {
            while (true) {
                if (closed.get()) {
                    throw new IOException("migration channel closed");
                }
                if (stallAt >= 0 && pagesSent >= stallAt) {
                    faultChanged.await();
                    continue;
                }
                if (slowBytesPerSecond > 0) {
                    long now = System.nanoTime();
                    if (now < slowNextNanos) {
                        faultChanged.awaitNanos(slowNextNanos - now);
                        continue;
                    }
                    slowNextNanos = Math.max(slowNextNanos, now - 1_000_000_000L)
                            + bytes * 1_000_000_000L / slowBytesPerSecond;
                }
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } finally {
            faultLock.unlock();
        }
    }

    private void countPage() {
        boolean cut;
        faultLock.lock();
        try {
            pagesSent++;
            cut = cutAt >= 0 && pagesSent >= cutAt;
        } finally {
            faultLock.unlock();
        }
        if (cut) {
            close();
        }
    }

    /** Reads one frame (one reader thread only). EOFException when the peer closed. */
    Frame read() throws IOException {
        header.clear();
        readFully(header);
        header.flip();
        byte type = header.get();
        long arg = header.getLong();
        int len = header.getInt();
        if (len < 0 || len > MAX_PAYLOAD) {
            throw new IOException("bad migration frame length " + len);
        }
        byte[] payload = new byte[len];
        if (len > 0) {
            readFully(ByteBuffer.wrap(payload));
        }
        return new Frame(type, arg, payload);
    }

    /** Reads until {@code b} is full. */
    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (socket.read(b) < 0) {
                throw new EOFException("migration peer closed the connection");
            }
        }
    }

    static byte[] toBytes(long[] bitmap) {
        ByteBuffer b = ByteBuffer.allocate(bitmap.length * 8);
        for (long w : bitmap) {
            b.putLong(w);
        }
        return b.array();
    }

    static long[] toBitmap(byte[] bytes, int pageCount) throws IOException {
        int words = (pageCount + 63) / 64;
        if (bytes.length != words * 8) {
            throw new IOException("bitmap of " + bytes.length + " bytes for " + pageCount + " pages");
        }
        long[] out = new long[words];
        ByteBuffer b = ByteBuffer.wrap(bytes);
        for (int i = 0; i < words; i++) {
            out[i] = b.getLong();
        }
        return out;
    }
}
