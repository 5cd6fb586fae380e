package io.jqmp.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.LockSupport;

/**
 * One listening socket and its accept loop, a virtual thread named {@code qmp-accept-ENDPOINT}.
 * Unix sockets are created owner-only (0600); a stale socket file left by a dead process is
 * replaced, any other existing file is refused.
 */
final class Listener {
    private static final System.Logger LOG = System.getLogger(Listener.class.getName());

    /** Takes an accepted client: serves it with {@code threads}, or refuses it. Called on the accept thread. */
    interface Admission {
        void admit(SocketChannel client, Endpoint endpoint, ConnectionThreads threads);
    }

    private final Admission admission;
    private final ServerErrors errors;
    private final ConnectionThreads threads;
    private final ServerSocketChannel channel;
    private final Endpoint endpoint;
    private final Path socketFile;
    private Thread acceptor;

    private Listener(Admission admission, ServerErrors errors, ConnectionThreads threads, ServerSocketChannel channel,
            Endpoint endpoint, Path socketFile) {
        this.admission = admission;
        this.errors = errors;
        this.threads = threads;
        this.channel = channel;
        this.endpoint = endpoint;
        this.socketFile = socketFile;
    }

    /**
     * Binds {@code endpoint}, whose connections {@code threads} will serve; the returned listener's
     * {@link #endpoint()} has the real TCP port.
     *
     * @param tls the server's TLS settings (null when it has no {@code tls:} listener)
     */
    static Listener bind(Endpoint endpoint, ConnectionThreads threads, Admission admission, ServerErrors errors,
            QmpServerConfig.Tls tls) throws IOException {
        return switch (endpoint) {
            case Endpoint.Unix unix -> {
                Path path = unix.path().toAbsolutePath();
                yield new Listener(admission, errors, threads, bindUnix(path), new Endpoint.Unix(unix.path()), path);
            }
            case Endpoint.Tcp tcp -> {
                ServerSocketChannel ch = bindTcp(tcp);
                if (!tcp.isLoopback()) {
                    LOG.log(System.Logger.Level.WARNING, "QMP listens on " + tcp + ", which is not a loopback address: "
                            + "plain TCP has no authentication, anyone who can reach it controls the machine (use tls: "
                            + "with verify-peer)");
                }
                yield new Listener(admission, errors, threads, ch, new Endpoint.Tcp(tcp.host(), port(ch)), null);
            }
            case Endpoint.Tls t -> {
                ServerSocketChannel ch = bindTcp(t);
                if (!t.isLoopback() && !tls.credentials().verifyPeer()) {
                    LOG.log(System.Logger.Level.WARNING, "QMP listens on " + t + ", which is not a loopback address, "
                            + "without verify-peer: the connection is encrypted but any client that can reach it "
                            + "controls the machine");
                }
                yield new Listener(admission, errors, threads, ch, new Endpoint.Tls(t.host(), port(ch)), null);
            }
        };
    }

    private static ServerSocketChannel bindTcp(Endpoint endpoint) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.bind(endpoint.address(), 64);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    private static int port(ServerSocketChannel ch) throws IOException {
        return ((java.net.InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    /**
     * Binds a Unix socket without a window in which it is reachable with wider permissions: bind
     * inside a fresh owner-only directory, restrict the socket, then rename it into place.
     */
    private static ServerSocketChannel bindUnix(Path path) throws IOException {
        Path dir = path.getParent() == null ? Path.of(".").toAbsolutePath() : path.getParent();
        replaceStaleSocket(path);
        Path privateDir = Files.createTempDirectory(dir, ".jqmp-bind-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path temp = privateDir.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(temp), 64);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            try {
                Files.createLink(path, temp); // fails if the name was taken meanwhile: never overwrite
            } catch (UnsupportedOperationException e) {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        } finally {
            Files.deleteIfExists(temp);
            Files.deleteIfExists(privateDir);
        }
    }

    private static void replaceStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0170000) != 0140000) {
            throw new FileAlreadyExistsException(path.toString(), null,
                    "exists and is not a socket; refusing to replace it");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new FileAlreadyExistsException(path.toString(), null, "another server is listening on it");
        } catch (IOException refused) {
            if (refused instanceof FileAlreadyExistsException) {
                throw refused;
            }
            LOG.log(System.Logger.Level.INFO, "replacing stale socket " + path);
            Files.delete(path);
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    void start() {
        acceptor = Thread.ofVirtual().name("qmp-accept-" + endpoint).start(this::acceptLoop);
    }

    /**
     * Accepts until the channel closes. Nothing one client causes ends it: a failure while
     * admitting a client is logged and that client closed; a failing {@code accept} (no file
     * descriptors left, say) is logged and retried after a pause that grows to one second.
     */
    private void acceptLoop() {
        long pauseMillis = 0;
        while (channel.isOpen()) {
            SocketChannel client;
            try {
                client = channel.accept();
                pauseMillis = 0;
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!channel.isOpen()) {
                    return;
                }
                pauseMillis = Math.min(1000, Math.max(10, pauseMillis * 2));
                LOG.log(System.Logger.Level.WARNING, "accept on " + endpoint + " failed; retrying in " + pauseMillis
                        + " ms", e);
                LockSupport.parkNanos(pauseMillis * 1_000_000);
                continue;
            }
            try {
                admission.admit(client, endpoint, threads);
            } catch (RuntimeException e) {
                errors.error("qmp-accept-" + endpoint, e);
                closeQuietly(client);
            } catch (Error e) {
                closeQuietly(client);
                errors.fatal("qmp-accept-" + endpoint, e);
                return;
            }
        }
    }

    private static void closeQuietly(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed", e);
        }
    }

    /** Stops accepting and removes the socket file. Idempotent. */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed", e);
        }
        if (socketFile != null) {
            try {
                Files.deleteIfExists(socketFile);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not remove " + socketFile, e);
            }
        }
        if (acceptor != null) {
            try {
                acceptor.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
