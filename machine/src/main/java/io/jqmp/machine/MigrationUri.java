package io.jqmp.machine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** A migration address in QEMU's spelling: {@code tcp:HOST:PORT} or {@code unix:PATH}. Immutable. */
record MigrationUri(String text, SocketAddress address, Path unixPath) {

    /** @throws IllegalArgumentException when the URI is neither form */
    static MigrationUri parse(String uri) {
        if (uri.startsWith("unix:") && uri.length() > 5) {
            Path p = Path.of(uri.substring(5));
            return new MigrationUri(uri, UnixDomainSocketAddress.of(p), p);
        }
        if (uri.startsWith("tcp:")) {
            String rest = uri.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon > 0) {
                String host = rest.substring(0, colon);
                if (host.startsWith("[") && host.endsWith("]")) {
                    host = host.substring(1, host.length() - 1);
                }
                try {
                    int port = Integer.parseInt(rest.substring(colon + 1));
                    if (port >= 0 && port <= 65535) {
                        return new MigrationUri(uri, new InetSocketAddress(host, port), null);
                    }
                } catch (NumberFormatException e) {
                    // falls through to the error
                }
            }
        }
        throw new IllegalArgumentException("unknown migration protocol: " + uri);
    }

    /** Connects (blocking). */
    SocketChannel connect() throws IOException {
        SocketChannel ch = unixPath != null ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            ch.connect(address);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** Binds a listener; a stale Unix socket file is replaced. */
    ServerSocketChannel bind() throws IOException {
        if (unixPath != null) {
            Files.deleteIfExists(unixPath);
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(address);
            return s;
        }
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(address);
        return s;
    }

    /** Removes the socket file of a Unix listener. */
    void unlink() {
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException e) {
                // nothing to do: a stale file is replaced at the next bind
            }
        }
    }
}
