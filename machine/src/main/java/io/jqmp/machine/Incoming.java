package io.jqmp.machine;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The destination side of one incoming connection (the first one, or a postcopy recovery). The
 * {@code migration-recv} thread accepts one connection, then reads the stream: pages go straight
 * into guest memory (waking whoever waits for them; never the BQL). The {@code migration-rp}
 * thread writes page requests to the return path.
 *
 * <p>Threading: created under {@link Migration#lock}; {@link #listening()} and {@link #close()}
 * from any thread.
 */
final class Incoming {
    private static final System.Logger LOG = System.getLogger(Incoming.class.getName());

    private final Migration mig;
    private final GuestMemory memory;
    private final MigrationUri uri;
    private final ServerSocketChannel server;
    private final boolean recovering;
    private final LinkedBlockingQueue<Integer> requests = new LinkedBlockingQueue<>();
    private volatile boolean listening = true;
    private volatile MigrationChannel channel;

    Incoming(Migration mig, MigrationUri uri, ServerSocketChannel server, boolean recovering) {
        this.mig = mig;
        this.memory = mig.memory;
        this.uri = uri;
        this.server = server;
        this.recovering = recovering;
    }

    void start() {
        Thread.ofPlatform().name("migration-recv").daemon(true).start(this::run);
    }

    /** Whether this listener still waits for its connection. */
    boolean listening() {
        return listening;
    }

    void close() {
        listening = false;
        try {
            server.close();
        } catch (IOException e) {
            // nothing more to do
        }
        uri.unlink();
        MigrationChannel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    private void run() {
        SocketChannel socket;
        try {
            socket = server.accept();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, "incoming migration listener closed: " + e);
            listening = false;
            return;
        } finally {
            try {
                server.close();
            } catch (IOException e) {
                // already closed
            }
            uri.unlink();
        }
        MigrationChannel ch = new MigrationChannel(socket);
        channel = ch;
        if (!mig.attach(ch, recovering ? "postcopy-paused" : "none")) {
            listening = false;
            return;
        }
        listening = false;
        try {
            if (recovering) {
                // As QEMU: recovering from the moment the channel is accepted, so a channel that
                // breaks before its handshake brings the destination back to postcopy-paused
                // (with its event), ready for another migrate-recover.
                mig.transition("postcopy-paused", "postcopy-recover");
            }
            MigrationChannel.Frame f = ch.read();
            if (recovering) {
                if (f.type() != MigrationChannel.RESUME || f.arg() != memory.pageCount()) {
                    throw new IOException("expected a resume handshake for " + memory.pageCount() + " pages");
                }
                memory.setRequester(requests::add);
                ch.send(MigrationChannel.RECEIVED, 0, MigrationChannel.toBytes(memory.presentBitmap()));
                startReturnPath(ch);
                if (!mig.transition("postcopy-recover", "postcopy-active")) {
                    throw new IOException("recovery interrupted");
                }
                // Requests sent before the break may be lost: ask again for what is awaited.
                for (int p : memory.waitedPages()) {
                    requests.add(p);
                }
            } else {
                if (f.type() != MigrationChannel.HELLO) {
                    throw new IOException("expected a migration stream, got frame type " + f.type());
                }
                if (f.arg() != memory.pageCount()) {
                    throw new IOException("the source has " + f.arg() + " pages, this machine " + memory.pageCount());
                }
                mig.transition("none", "active");
                startReturnPath(ch);
            }
            receive(ch);
        } catch (IOException | RuntimeException e) {
            mig.channelFailed(ch, e);
        }
    }

    private void receive(MigrationChannel ch) throws IOException {
        while (true) {
            MigrationChannel.Frame f = ch.read();
            switch (f.type()) {
                case MigrationChannel.PAGE -> {
                    long p = f.arg();
                    if (p < 0 || p >= memory.pageCount() || f.payload().length != GuestMemory.PAGE_SIZE) {
                        throw new IOException("bad page frame " + p);
                    }
                    memory.install((int) p, f.payload(), mig.status().startsWith("postcopy"));
                }
                case MigrationChannel.POSTCOPY_START -> {
                    memory.markAbsent(MigrationChannel.toBitmap(f.payload(), memory.pageCount()));
                    memory.setRequester(requests::add);
                    mig.transition("active", "postcopy-active");
                    mig.machine.incomingRunning();
                }
                case MigrationChannel.PRECOPY_END -> {
                    ch.send(MigrationChannel.ACK, 0, null);
                    mig.completed(ch);
                    mig.machine.incomingRunning();
                    return;
                }
                case MigrationChannel.POSTCOPY_END -> {
                    if (memory.absentPages() != 0) {
                        throw new IOException("postcopy ended with " + memory.absentPages() + " pages missing");
                    }
                    ch.send(MigrationChannel.ACK, 0, null);
                    mig.completed(ch);
                    return;
                }
                default -> throw new IOException("unexpected frame type " + f.type());
            }
        }
    }

    private void startReturnPath(MigrationChannel ch) {
        Thread.ofPlatform().name("migration-rp").daemon(true).start(() -> {
            try {
                while (!ch.isClosed()) {
                    // The timeout only bounds how late a closed channel is noticed.
                    Integer p = requests.poll(100, TimeUnit.MILLISECONDS);
                    if (p != null && memory.isAbsent(p)) {
                        ch.send(MigrationChannel.REQUEST, p, null);
                    }
                }
            } catch (IOException e) {
                mig.channelFailed(ch, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
