package io.jqmp.machine;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The source side of one migration. The {@code migration-send} thread connects, runs precopy
 * passes over dirty pages until the rest fits the downtime limit (then stop-and-copy) or postcopy
 * is asked for (then the destination runs and the rest is pushed, requested pages first). The
 * {@code migration-return} thread reads the return path: page requests and the final ACK.
 *
 * <p>Threading: created and started in-band (under {@link Migration#lock}); {@link #wake()} and
 * {@link #close()} from any thread. Neither thread ever takes the BQL.
 */
final class Outgoing {
    /** Wakes the sender without a page request. */
    private static final int WAKE = -1;
    /** The destination acknowledged that it has everything. */
    private static final int ACKED = -2;

    private final Migration mig;
    private final GuestMemory memory;
    private final LinkedBlockingQueue<Integer> requests = new LinkedBlockingQueue<>();
    private final byte[] buffer = new byte[GuestMemory.PAGE_SIZE];
    private volatile boolean closed;
    private long nextSendNanos;

    Outgoing(Migration mig) {
        this.mig = mig;
        this.memory = mig.memory;
    }

    void start(MigrationUri uri) {
        Thread.ofPlatform().name("migration-send").daemon(true).start(() -> run(uri, false));
    }

    /** migrate with resume: reconnects a paused postcopy (status is already postcopy-recover). */
    void resume(MigrationUri uri) {
        Thread.ofPlatform().name("migration-send").daemon(true).start(() -> run(uri, true));
    }

    void wake() {
        requests.add(WAKE);
    }

    void close() {
        closed = true;
        wake();
    }

    private void run(MigrationUri uri, boolean resume) {
        MigrationChannel ch;
        try {
            ch = new MigrationChannel(uri.connect());
        } catch (IOException e) {
            if (resume) {
                mig.recoveryFailed(e);
            } else {
                failSetup(e);
            }
            return;
        }
        if (!mig.attach(ch, resume ? "postcopy-recover" : "setup")) {
            if (!resume) {
                failSetup(new IOException("cancelled while connecting"));
            }
            return;
        }
        requests.clear();
        try {
            if (resume) {
                ch.send(MigrationChannel.RESUME, memory.pageCount(), null);
                MigrationChannel.Frame f = ch.read();
                if (f.type() != MigrationChannel.RECEIVED) {
                    throw new IOException("expected the received bitmap, got frame type " + f.type());
                }
                memory.setDirtyFromMissing(MigrationChannel.toBitmap(f.payload(), memory.pageCount()));
                startReturnPath(ch);
                if (!mig.transition("postcopy-recover", "postcopy-active")) {
                    throw new IOException("recovery interrupted");
                }
                postcopy(ch);
            } else {
                ch.send(MigrationChannel.HELLO, memory.pageCount(), null);
                startReturnPath(ch);
                if (!mig.transition("setup", "active")) {
                    throw new IOException("migration cancelled");
                }
                precopy(ch);
            }
        } catch (IOException | RuntimeException e) {
            mig.channelFailed(ch, e);
        }
    }

    /** Connecting failed before any channel existed: setup fails (or a cancel completes). */
    private void failSetup(Exception e) {
        System.getLogger(Outgoing.class.getName()).log(System.Logger.Level.INFO, "migration could not start: " + e);
        if (!mig.transition("setup", "failed")) {
            mig.transition("cancelling", "cancelled");
        }
        mig.machine.migrationFailed();
    }

    private void startReturnPath(MigrationChannel ch) {
        Thread.ofPlatform().name("migration-return").daemon(true).start(() -> {
            try {
                while (true) {
                    MigrationChannel.Frame f = ch.read();
                    if (f.type() == MigrationChannel.REQUEST) {
                        mig.postcopyRequests.incrementAndGet();
                        requests.add((int) f.arg());
                    } else if (f.type() == MigrationChannel.ACK) {
                        // The destination closes after its ACK: stop reading, or its EOF would pause us.
                        requests.add(ACKED);
                        return;
                    } else {
                        throw new IOException("unexpected frame type " + f.type() + " on the return path");
                    }
                }
            } catch (IOException | RuntimeException e) {
                mig.channelFailed(ch, e);
                wake();
            }
        });
    }

    private void precopy(MigrationChannel ch) throws IOException {
        memory.markAllDirty();
        mig.dirtySyncCount.set(1);
        nextSendNanos = System.nanoTime();
        while (true) {
            long passStart = System.nanoTime();
            long passBytes = 0;
            for (int p = memory.nextDirty(0); p >= 0; p = memory.nextDirty(p + 1)) {
                checkOpen(ch);
                if (mig.postcopyRequested) {
                    switchToPostcopy(ch);
                    return;
                }
                throttle(ch, mig.maxBandwidth);
                if (memory.testAndClearDirty(p)) {
                    sendPage(ch, p, mig.precopyBytes);
                    passBytes += GuestMemory.PAGE_SIZE;
                }
            }
            mig.dirtySyncCount.incrementAndGet();
            if (mig.postcopyRequested) {
                switchToPostcopy(ch);
                return;
            }
            long passNanos = Math.max(1, System.nanoTime() - passStart);
            double bytesPerSecond = passBytes * 1e9 / passNanos;
            if (mig.maxBandwidth > 0) {
                bytesPerSecond = Math.min(bytesPerSecond, mig.maxBandwidth);
            }
            long remaining = memory.dirtyPages() * GuestMemory.PAGE_SIZE;
            if (remaining == 0 || remaining <= bytesPerSecond * mig.downtimeLimit / 1000.0) {
                stopAndCopy(ch);
                return;
            }
        }
    }

    private void stopAndCopy(MigrationChannel ch) throws IOException {
        mig.machine.stopForMigration();
        for (int p = memory.nextDirty(0); p >= 0; p = memory.nextDirty(p + 1)) {
            checkOpen(ch);
            if (memory.testAndClearDirty(p)) {
                sendPage(ch, p, mig.downtimeBytes);
            }
        }
        ch.send(MigrationChannel.PRECOPY_END, 0, null);
        awaitAck(ch);
        mig.completed(ch);
        mig.machine.migrationCompleted();
    }

    private void switchToPostcopy(MigrationChannel ch) throws IOException {
        mig.machine.stopForMigration();
        // The pages dirty now are stale on the destination: it waits for them, we push them.
        ch.send(MigrationChannel.POSTCOPY_START, 0, MigrationChannel.toBytes(memory.dirtyBitmap()));
        if (!mig.transition("active", "postcopy-active")) {
            throw new IOException("migration left the active state");
        }
        nextSendNanos = System.nanoTime();
        postcopy(ch);
    }

    /** Pushes the remaining pages, requested ones first and unthrottled, until the destination acknowledges. */
    private void postcopy(MigrationChannel ch) throws IOException {
        int cursor = 0;
        boolean endSent = false;
        while (true) {
            checkOpen(ch);
            Integer req = requests.poll();
            if (req != null) {
                if (req == ACKED) {
                    mig.completed(ch);
                    mig.machine.migrationCompleted();
                    return;
                }
                if (req >= 0 && memory.testAndClearDirty(req)) {
                    sendPage(ch, req, mig.postcopyBytes);
                }
                continue;
            }
            int p = memory.nextDirty(cursor);
            if (p < 0 && cursor > 0) {
                p = memory.nextDirty(0);
            }
            if (p < 0) {
                if (!endSent) {
                    ch.send(MigrationChannel.POSTCOPY_END, 0, null);
                    endSent = true;
                }
                awaitRequest(TimeUnit.MILLISECONDS.toNanos(100));
                continue;
            }
            long bw = mig.maxPostcopyBandwidth;
            if (bw > 0) {
                long wait = nextSendNanos - System.nanoTime();
                if (wait > 0) {
                    awaitRequest(wait);
                    continue;
                }
                nextSendNanos = Math.max(nextSendNanos, System.nanoTime() - 1_000_000_000L)
                        + GuestMemory.PAGE_SIZE * 1_000_000_000L / bw;
            }
            cursor = p + 1;
            if (memory.testAndClearDirty(p)) {
                sendPage(ch, p, mig.postcopyBytes);
            }
        }
    }

    /** Waits up to {@code nanos} for a request (or a wake-up), and puts it back for the loop. */
    private void awaitRequest(long nanos) {
        try {
            Integer r = requests.poll(nanos, TimeUnit.NANOSECONDS);
            if (r != null && r != WAKE) {
                requests.add(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitAck(MigrationChannel ch) throws IOException {
        while (true) {
            checkOpen(ch);
            try {
                Integer r = requests.poll(100, TimeUnit.MILLISECONDS);
                if (r != null && r == ACKED) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** Precopy bandwidth limit: waits (waking for a new parameter) until the next page may go. */
    private void throttle(MigrationChannel ch, long bandwidth) throws IOException {
        while (bandwidth > 0) {
            long wait = nextSendNanos - System.nanoTime();
            if (wait <= 0) {
                nextSendNanos = Math.max(nextSendNanos, System.nanoTime() - 1_000_000_000L)
                        + GuestMemory.PAGE_SIZE * 1_000_000_000L / bandwidth;
                return;
            }
            awaitRequest(wait);
            checkOpen(ch);
            if (mig.postcopyRequested) {
                return;
            }
            bandwidth = mig.maxBandwidth;
        }
    }

    private void sendPage(MigrationChannel ch, int p, java.util.concurrent.atomic.AtomicLong phase) throws IOException {
        memory.copyPage(p, buffer);
        try {
            ch.send(MigrationChannel.PAGE, p, buffer);
        } catch (IOException e) {
            // Not delivered: still to send, after a recovery too (which resyncs with the destination's bitmap anyway).
            memory.markDirty(p);
            throw e;
        }
        long bytes = GuestMemory.PAGE_SIZE + 13;
        mig.transferred.addAndGet(bytes);
        phase.addAndGet(bytes);
        mig.normalPages.incrementAndGet();
    }

    private void checkOpen(MigrationChannel ch) throws IOException {
        if (ch.isClosed() || closed) {
            throw new IOException("migration channel closed");
        }
    }
}
