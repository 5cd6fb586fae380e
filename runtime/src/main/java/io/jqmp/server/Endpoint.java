package io.jqmp.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * Where a QMP socket lives: {@code unix:PATH}, {@code tcp:HOST:PORT} or {@code tls:HOST:PORT}
 * (TCP with TLS; the credentials are configured apart: {@link QmpServer.Builder#tls},
 * {@code QmpClient.Builder.tls}).
 */
public sealed interface Endpoint {

    /** The socket address to bind or connect. */
    SocketAddress address();

    /** A Unix-domain socket at {@code path}. */
    record Unix(Path path) implements Endpoint {
        @Override
        public SocketAddress address() {
            return UnixDomainSocketAddress.of(path);
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** A TCP socket; port 0 asks the system for a free port when binding. */
    record Tcp(String host, int port) implements Endpoint {
        public Tcp {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("TCP port must be 0-65535, got " + port);
            }
        }

        @Override
        public SocketAddress address() {
            return new InetSocketAddress(host, port);
        }

        /** Whether the host names a loopback address (QMP has no authentication). */
        public boolean isLoopback() {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return "tcp:" + hostPort(host, port);
        }
    }

    /** A TCP socket that speaks TLS before QMP; port 0 asks the system for a free port when binding. */
    record Tls(String host, int port) implements Endpoint {
        public Tls {
            new Tcp(host, port); // the same checks
        }

        @Override
        public SocketAddress address() {
            return new InetSocketAddress(host, port);
        }

        /** Whether the host names a loopback address. */
        public boolean isLoopback() {
            return new Tcp(host, port).isLoopback();
        }

        @Override
        public String toString() {
            return "tls:" + hostPort(host, port);
        }
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Parses {@code unix:PATH}, {@code tcp:HOST:PORT} or {@code tls:HOST:PORT} ({@code tcp:[::1]:4444} for IPv6). */
    static Endpoint parse(String text) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (path.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': a unix endpoint needs a path, e.g. unix:/tmp/qmp.sock");
            }
            return new Unix(Path.of(path));
        }
        if (text.startsWith("tcp:") || text.startsWith("tls:")) {
            String scheme = text.substring(0, 3);
            String rest = text.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("'" + text + "': a " + scheme + " endpoint needs HOST:PORT, e.g. "
                        + scheme + ":127.0.0.1:4444");
            }
            String host = rest.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "': the port must be a number 0-65535");
            }
            return scheme.equals("tls") ? new Tls(host, port) : new Tcp(host, port);
        }
        throw new IllegalArgumentException("'" + text + "': expected unix:PATH, tcp:HOST:PORT or tls:HOST:PORT");
    }
}
