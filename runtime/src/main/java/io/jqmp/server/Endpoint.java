package io.jqmp.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/** Where a QMP socket lives: {@code unix:PATH} or {@code tcp:HOST:PORT}, written as QEMU writes them. Immutable. */
public sealed interface Endpoint {

    /**
     * The socket address to bind or connect.
     *
     * @return a Unix-domain or an Internet socket address
     */
    SocketAddress address();

    /**
     * A Unix-domain socket.
     *
     * @param path the socket file
     */
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

    /**
     * A TCP socket.
     *
     * @param host a host name or address literal (IPv6 without brackets)
     * @param port 0-65535; 0 asks the system for a free port when binding
     */
    record Tcp(String host, int port) implements Endpoint {
        /**
         * Checks the port.
         *
         * @throws IllegalArgumentException the port is out of range
         */
        public Tcp {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("TCP port must be 0-65535, got " + port);
            }
        }

        @Override
        public SocketAddress address() {
            return new InetSocketAddress(host, port);
        }

        /**
         * Whether the host names a loopback address (QMP has no authentication).
         *
         * @return true for {@code localhost}, {@code 127.0.0.1}, {@code ::1} and the like
         */
        public boolean isLoopback() {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }

        @Override
        public String toString() {
            return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Parses an endpoint.
     *
     * @param text {@code unix:PATH} or {@code tcp:HOST:PORT} ({@code tcp:[::1]:4444} for IPv6)
     * @return the endpoint
     * @throws IllegalArgumentException with an example of the right form
     */
    static Endpoint parse(String text) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (path.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "': a unix endpoint needs a path, e.g. unix:/tmp/qmp.sock");
            }
            return new Unix(Path.of(path));
        }
        if (text.startsWith("tcp:")) {
            String rest = text.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("'" + text + "': a tcp endpoint needs HOST:PORT, e.g. tcp:127.0.0.1:4444");
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
            return new Tcp(host, port);
        }
        throw new IllegalArgumentException("'" + text + "': expected unix:PATH or tcp:HOST:PORT");
    }
}
