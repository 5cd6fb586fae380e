package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.internal.tls.TestCertificates;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS listeners with certificates made for the run: the handshake, client certificates checked
 * against the CA (verify-peer) and against an allow-list of names (tls-authz), out-of-band over
 * TLS, and a client that stalls in its handshake holding up no one else.
 */
@ExtendWith(PinningRecorder.class)
class TlsTest {
    @TempDir
    static Path certsDir;
    static TestCertificates certs;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certsDir);
    }

    /**
     * Handshakes get 30 s on both sides, not the default 10 s: a cold JVM's first TLS handshake on
     * a starved machine is slow, and no test here is about that limit except the one that sets its own.
     */
    static final Duration HANDSHAKE = Duration.ofSeconds(30);

    private TestServer server(boolean verifyPeer, Consumer<QmpServer.Builder> more) throws Exception {
        return new TestServer(dir, b -> {
            b.listen("tls:127.0.0.1:0").tls(TlsCredentials.fromDirectory(certs.serverDir, TlsCredentials.Side.SERVER,
                    verifyPeer)).tlsHandshakeTimeout(HANDSHAKE);
            more.accept(b);
        });
    }

    /** The TLS endpoint, as "localhost" so the client checks the name in the certificate. */
    private static String tlsEndpoint(TestServer s) {
        Endpoint.Tls t = (Endpoint.Tls) s.server.endpoints().get(1);
        return "tls:localhost:" + t.port();
    }

    private static QmpClient connect(TestServer s, Path clientDir) throws QmpConnectionException {
        return QmpClient.builder(tlsEndpoint(s))
                .tls(TlsCredentials.fromDirectory(clientDir, TlsCredentials.Side.CLIENT, true))
                .connectTimeout(HANDSHAKE)
                .connect();
    }

    @Test
    void commandsAndOutOfBandOverTlsWhileTheMainLoopIsBlocked() throws Exception {
        try (TestServer s = server(true, b -> { }); QmpClient c = connect(s, certs.adminDir)) {
            assertEquals(Map.of("count", 1L), c.call("test-count", null));
            CompletableFuture<Object> blocked = c.execute("x-oob-test", Map.of("lock", true));
            assertEquals(Map.of(), c.callOob("test-oob-ping", null), "out-of-band passes the blocked main loop");
            c.callOob("x-oob-test", Map.of("lock", false));
            assertEquals(Map.of(), blocked.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void withoutVerifyPeerAClientNeedsNoCertificate() throws Exception {
        try (TestServer s = server(false, b -> { }); QmpClient c = connect(s, certs.anonymousDir)) {
            assertEquals(Map.of("count", 1L), c.call("test-count", null));
        }
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused() throws Exception {
        try (TestServer s = server(true, b -> { })) {
            QmpConnectionException e = assertThrows(QmpConnectionException.class, () -> connect(s, certs.strangerDir));
            assertTrue(e.getMessage().contains(tlsEndpoint(s)), e.getMessage());
            assertThrows(QmpConnectionException.class, () -> connect(s, certs.anonymousDir), "no certificate at all");
            try (QmpClient ok = connect(s, certs.adminDir)) {
                assertEquals(Map.of("count", 1L), ok.call("test-count", null));
            }
        }
    }

    @Test
    void onlyNamesOnTheAllowListAreServed() throws Exception {
        try (TestServer s = server(true, b -> b.tlsAuthz(List.of("CN=admin, O=jqmp test", "operator")))) {
            try (QmpClient admin = connect(s, certs.adminDir)) {
                assertEquals(Map.of("count", 1L), admin.call("test-count", null));
            }
            QmpConnectionException e = assertThrows(QmpConnectionException.class, () -> connect(s, certs.guestDir));
            assertTrue(e.getMessage().contains("closed the connection"), e.getMessage());
            assertEquals(1, s.counted.get(), "the refused client ran nothing");
        }
        try (TestServer s = server(true, b -> b.tlsAuthz(List.of("guest")))) {
            try (QmpClient guest = connect(s, certs.guestDir)) {
                assertEquals(Map.of("count", 1L), guest.call("test-count", null), "a bare common name matches");
            }
        }
    }

    @Test
    void aClientStalledInItsHandshakeDelaysNoOne() throws Exception {
        try (TestServer s = server(true, b -> b.tlsHandshakeTimeout(Duration.ofSeconds(30)))) {
            Endpoint.Tls t = (Endpoint.Tls) s.server.endpoints().get(1);
            try (SocketChannel silent = SocketChannel.open(t.address());
                    SocketChannel partial = SocketChannel.open(t.address())) {
                // The start of a TLS record (a handshake record of 512 bytes), then nothing.
                partial.write(ByteBuffer.wrap(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01}));
                try (QmpClient c = connect(s, certs.adminDir)) {
                    assertEquals(Map.of(), c.callOob("test-oob-ping", null));
                }
                // Served while both stalled handshakes are still pending: their connections are open.
                for (SocketChannel stalled : List.of(silent, partial)) {
                    stalled.configureBlocking(false);
                    assertEquals(0, stalled.read(ByteBuffer.allocate(16)), "a stalled client is not cut off yet");
                }
            }
        }
    }

    @Test
    void aClientThatDoesNotFinishItsHandshakeInTimeIsCutOff() throws Exception {
        try (TestServer s = server(true, b -> b.tlsHandshakeTimeout(Duration.ofMillis(300)));
                SocketChannel silent = SocketChannel.open(s.server.endpoints().get(1).address())) {
            assertEquals(-1, silent.read(ByteBuffer.allocate(16)), "cut off after the handshake timeout");
        }
    }

    @Test
    void theConfigurationIsCheckedBeforeStart() {
        IllegalArgumentException noCreds = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen("tls:127.0.0.1:0").build());
        assertTrue(noCreds.getMessage().contains("needs TLS credentials"), noCreds.getMessage());
        TlsCredentials noVerify = TlsCredentials.fromDirectory(certs.serverDir, TlsCredentials.Side.SERVER, false);
        IllegalArgumentException authz = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen("tls:127.0.0.1:0").tls(noVerify).tlsAuthz(List.of("admin")).build());
        assertTrue(authz.getMessage().contains("turn verify-peer on"), authz.getMessage());
        IllegalArgumentException badDn = assertThrows(IllegalArgumentException.class, () -> QmpServer.builder()
                .listen("tls:127.0.0.1:0").tls(TlsCredentials.fromDirectory(certs.serverDir, TlsCredentials.Side.SERVER,
                        true)).tlsAuthz(List.of("CN=admin,=broken")).build());
        assertTrue(badDn.getMessage().contains("not a distinguished name"), badDn.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TlsCredentials.fromDirectory(certs.adminDir, TlsCredentials.Side.SERVER, true));
        assertTrue(missing.getMessage().contains("server-cert.pem (the server's certificate) is missing"),
                missing.getMessage());
    }
}
