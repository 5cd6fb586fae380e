package io.jqmp.server;

import io.jqmp.internal.tls.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS key material for one side of a QMP connection, as QEMU's {@code tls-creds-x509} object
 * holds it: a directory of PEM files.
 *
 * <ul>
 *   <li>{@code ca-cert.pem}: the certificate authority (or authorities) that peer certificates
 *       must chain to. A client always needs it; a server needs it when it verifies clients.</li>
 *   <li>{@code server-cert.pem} and {@code server-key.pem}: the server's certificate (a chain may
 *       follow it in the same file) and its private key.</li>
 *   <li>{@code client-cert.pem} and {@code client-key.pem}: a client's, when the server verifies
 *       clients.</li>
 * </ul>
 *
 * Private keys may be PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1
 * ({@code EC PRIVATE KEY}), as openssl and certtool write them, and must not be encrypted.
 *
 * <p>{@code verifyPeer}, as QEMU's {@code verify-peer} (default on there too): a server asks every
 * client for a certificate signed by the CA and refuses clients without one; a client checks that
 * the server's certificate chains to the CA and names the host it connected to (a client without
 * it still checks the chain, but not the name).
 *
 * <p>Immutable; any thread.
 */
public final class TlsCredentials {

    /** Which end of the connection the credentials are for (QEMU's {@code endpoint}). */
    public enum Side {
        /** A server's: its own key and certificate, and the CA of its clients. */
        SERVER,
        /** A client's: the CA of the server, and its own key and certificate if it has them. */
        CLIENT
    }

    private final SSLContext context;
    private final Side side;
    private final boolean verifyPeer;
    private final String origin;

    private TlsCredentials(SSLContext context, Side side, boolean verifyPeer, String origin) {
        this.context = context;
        this.side = side;
        this.verifyPeer = verifyPeer;
        this.origin = origin;
        // The JDK sets up a context's TLS state lazily, under a lock, on first use; do it here, on
        // the configuring thread, so that connection threads never contend for it.
        context.createSSLEngine();
    }

    /**
     * Loads a credentials directory.
     *
     * @param dir        the directory (see the class comment for its files)
     * @param side       whose files to load
     * @param verifyPeer see the class comment
     * @return the credentials, ready to use
     * @throws IllegalArgumentException naming the file that is missing or cannot be used, and why
     */
    public static TlsCredentials fromDirectory(Path dir, Side side, boolean verifyPeer) {
        Objects.requireNonNull(side);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("TLS credentials directory " + dir + " does not exist");
        }
        String prefix = side == Side.SERVER ? "server" : "client";
        Path cert = dir.resolve(prefix + "-cert.pem");
        Path key = dir.resolve(prefix + "-key.pem");
        Path ca = dir.resolve("ca-cert.pem");
        boolean needCa = side == Side.CLIENT || verifyPeer;
        boolean needOwn = side == Side.SERVER || Files.exists(cert) || Files.exists(key);
        try {
            KeyManagerFactory keys = null;
            if (needOwn) {
                requireFile(cert, side == Side.SERVER ? "the server's certificate" : "the client's certificate");
                requireFile(key, "its private key");
                keys = keyManagers(Pem.certificates(cert), Pem.privateKey(key), cert);
            }
            TrustManagerFactory trust = null;
            if (needCa) {
                requireFile(ca, side == Side.SERVER ? "the CA that client certificates must chain to (verify-peer)"
                        : "the CA that the server's certificate must chain to");
                trust = trustManagers(Pem.certificates(ca));
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(),
                    null);
            return new TlsCredentials(context, side, verifyPeer, dir.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("TLS credentials in " + dir + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS credentials in " + dir + " cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * Credentials from a context the embedder built (key stores, hardware tokens).
     *
     * @param context    initialised with the side's own key (a server's always) and the trust
     *                   anchors that peers must chain to
     * @param side       whose credentials they are
     * @param verifyPeer see the class comment
     * @return the credentials
     */
    public static TlsCredentials of(SSLContext context, Side side, boolean verifyPeer) {
        return new TlsCredentials(Objects.requireNonNull(context), Objects.requireNonNull(side), verifyPeer,
                "an SSLContext");
    }

    /**
     * The JDK context that makes the TLS sockets.
     *
     * @return the context
     */
    public SSLContext context() {
        return context;
    }

    /**
     * Which end these credentials are for.
     *
     * @return the side
     */
    public Side side() {
        return side;
    }

    /**
     * Whether the peer is verified (see the class comment).
     *
     * @return verify-peer
     */
    public boolean verifyPeer() {
        return verifyPeer;
    }

    @Override
    public String toString() {
        return "TLS " + side.name().toLowerCase() + " credentials from " + origin + (verifyPeer ? ", verify-peer" : "");
    }

    private static void requireFile(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file.getFileName() + " (" + what + ") is missing");
        }
    }

    private static KeyManagerFactory keyManagers(List<X509Certificate> chain, PrivateKey key, Path cert)
            throws GeneralSecurityException, IOException {
        if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new IOException(cert.getFileName() + " holds a " + chain.get(0).getPublicKey().getAlgorithm()
                    + " certificate but the key is " + key.getAlgorithm());
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("qmp", key, new char[0], chain.toArray(new X509Certificate[0]));
        KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(store, new char[0]);
        return f;
    }

    private static TrustManagerFactory trustManagers(List<X509Certificate> cas) throws GeneralSecurityException,
            IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
            store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        return f;
    }
}
