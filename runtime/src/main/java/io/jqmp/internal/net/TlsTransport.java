package io.jqmp.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

/**
 * TLS over a connected socket: a JDK {@link SSLSocket} layered on the channel's socket, so the
 * reading and the writing thread each use their own half of it (the JDK's TLS socket is
 * full-duplex). The handshake runs in {@link #open}, on the connection's own reading thread, and
 * a watchdog closes the socket if it has not finished within the timeout, so a client that stalls
 * mid-handshake holds up nothing but its own connection.
 *
 * <p>{@link #close} closes the socket underneath without a TLS close_notify: sending one could
 * block on a client that does not read, and closing must never block.
 *
 * <p>Threading as {@link Transport}; {@link #allowsDirectWrites()} is false.
 */
public final class TlsTransport implements Transport {
    /** Makes the TLS socket over the channel; called by {@link #open}. */
    private interface Layer {
        SSLSocket over(SocketChannel channel) throws IOException;
    }

    private final SocketChannel channel;
    private final Layer layer;
    private final Duration handshakeTimeout;
    private SSLSocket socket;
    private volatile boolean timedOut;
    private InputStream in;
    private OutputStream out;

    private TlsTransport(SocketChannel channel, Layer layer, Duration handshakeTimeout) {
        this.channel = channel;
        this.layer = layer;
        this.handshakeTimeout = handshakeTimeout;
    }

    /**
     * The server's side of an accepted connection; nothing happens before {@link #open}.
     *
     * @param needClientAuth whether the client must present a certificate the context trusts
     */
    public static TlsTransport server(SocketChannel channel, SSLContext context, boolean needClientAuth,
            Duration handshakeTimeout) {
        return new TlsTransport(channel, ch -> {
            SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(ch.socket(), (InputStream) null, true);
            s.setUseClientMode(false);
            s.setNeedClientAuth(needClientAuth);
            return s;
        }, handshakeTimeout);
    }

    /**
     * The client's side of a connection to {@code host}; nothing happens before {@link #open}. The
     * server's certificate must chain to the context's trust anchors and, with
     * {@code checkHostName}, name {@code host} (a DNS name or IP address among its subject
     * alternative names).
     */
    public static TlsTransport client(SocketChannel channel, SSLContext context, String host, boolean checkHostName,
            Duration handshakeTimeout) {
        return new TlsTransport(channel, ch -> {
            int port = ch.getRemoteAddress() instanceof InetSocketAddress a ? a.getPort() : 0;
            SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(ch.socket(), host, port, true);
            s.setUseClientMode(true);
            if (checkHostName) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
            }
            return s;
        }, handshakeTimeout);
    }

    @Override
    public void open() throws IOException {
        // A handshake is several small records each way: without this, Nagle's algorithm and
        // delayed acknowledgements add tens of milliseconds per flight.
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        socket = layer.over(channel);
        Thread reader = Thread.currentThread();
        Thread watchdog = Thread.ofVirtual().name(reader.getName() + "-tls-handshake-timeout").start(() -> {
            try {
                Thread.sleep(handshakeTimeout);
                timedOut = true;
                close(); // the handshake fails with a closed socket
            } catch (InterruptedException finished) {
                // the handshake ended in time
            }
        });
        try {
            socket.startHandshake();
        } catch (IOException e) {
            if (timedOut) {
                throw new IOException("TLS handshake not completed within " + handshakeTimeout.toMillis() + " ms", e);
            }
            throw new IOException("TLS handshake failed: " + e.getMessage(), e);
        } finally {
            watchdog.interrupt();
        }
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** The certificate the peer presented, or null when it presented none. After {@link #open}. */
    public X509Certificate peerCertificate() {
        try {
            Certificate[] chain = socket.getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** The negotiated protocol and cipher suite, for messages. After {@link #open}. */
    public String describeSession() {
        return socket.getSession().getProtocol() + " " + socket.getSession().getCipherSuite();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (src.hasArray()) {
            out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
            src.position(src.limit());
        } else {
            byte[] copy = new byte[src.remaining()];
            src.get(copy);
            out.write(copy);
        }
        out.flush();
    }

    @Override
    public ByteBuffer newWriteBuffer(int capacity) {
        return ByteBuffer.allocate(capacity);
    }

    @Override
    public boolean allowsDirectWrites() {
        return false;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all that was asked for
        }
    }
}
