package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.internal.tls.TestCertificates;
import io.jqmp.proxy.ProxyPolicy;
import io.jqmp.proxy.QmpProxy;
import io.jqmp.schema.Declaration;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import io.jqmp.server.TlsCredentials;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The proxy with TLS on both sides: a tls: upstream, tls: listeners, and the options' checks. */
@Timeout(60)
class ProxyTlsTest {
    @TempDir
    Path dir;

    private static String localhost(Endpoint e) {
        return "tls:localhost:" + ((Endpoint.Tls) e).port();
    }

    @Test
    void clientsReachATlsUpstreamThroughATlsListener() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("certs"));
        TlsCredentials server = TlsCredentials.fromDirectory(certs.serverDir, TlsCredentials.Side.SERVER, true);
        TlsCredentials admin = TlsCredentials.fromDirectory(certs.adminDir, TlsCredentials.Side.CLIENT, true);
        try (QmpServer upstream = QmpServer.builder().listen("tls:127.0.0.1:0").tls(server)
                .command(Declaration.command("ping").allowOob().build(), ctx -> Map.of("pong", true))
                .build().start();
                QmpProxy proxy = QmpProxy.start(new QmpProxy.Config(Endpoint.parse(localhost(upstream.endpoints().get(0))),
                        List.of(Endpoint.parse("tls:127.0.0.1:0")), ProxyPolicy.OPEN, false, false,
                        Duration.ofMillis(200), null, new QmpProxy.Tls(admin, server, List.of())))) {
            String through = localhost(proxy.endpoints().get(0));
            try (QmpClient c = QmpClient.builder(through).tls(admin).connect()) {
                assertTrue(c.oobEnabled());
                assertEquals(Map.of("pong", true), c.callOob("ping", null));
                assertEquals(Map.of("pong", true), c.call("ping", null));
            }
            // The proxy's listener verifies clients as any jqmp TLS listener does.
            TlsCredentials anonymous = TlsCredentials.fromDirectory(certs.anonymousDir, TlsCredentials.Side.CLIENT, true);
            assertThrows(QmpConnectionException.class, () -> {
                try (QmpClient c = QmpClient.builder(through).tls(anonymous).connect()) {
                    c.call("ping", null);
                }
            });
        }
    }

    @Test
    void tlsOptionsGoWithTheirEndpoints() {
        assertEquals(2, proxy(List.of("proxy", "--to", "tls:localhost:1")),
                "a tls: upstream without --to-tls-creds");
        assertTrue(err.toString().contains("is a TLS endpoint: give --to-tls-creds DIR"), err.toString());
        assertEquals(2, proxy(List.of("proxy", "--to", "unix:" + dir.resolve("q.sock"), "--to-tls-creds", dir.toString())));
        assertTrue(err.toString().contains("--to-tls-creds is for a tls:HOST:PORT upstream"), err.toString());
        assertEquals(2, proxy(List.of("proxy", "--to", "unix:" + dir.resolve("q.sock"), "--qmp", "tls:127.0.0.1:0")));
        assertTrue(err.toString().contains("a --qmp tls:HOST:PORT listener needs --tls-creds DIR"), err.toString());
        assertEquals(2, proxy(List.of("proxy", "--to", "unix:" + dir.resolve("q.sock"), "--tls-creds", dir.toString())));
        assertTrue(err.toString().contains("--tls-creds is for --qmp tls:HOST:PORT listeners"), err.toString());
        assertEquals(2, proxy(List.of("proxy", "--to", "tls:localhost:1", "--to-tls-creds", dir.resolve("none").toString())));
        assertTrue(err.toString().startsWith("jqmp proxy: "), err.toString());
    }

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int proxy(List<String> argv) {
        err.reset();
        return Main.run(argv, System.out, new PrintStream(err));
    }
}
