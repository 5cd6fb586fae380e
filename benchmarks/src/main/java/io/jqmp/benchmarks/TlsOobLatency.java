package io.jqmp.benchmarks;

import io.jqmp.client.QmpClient;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * What does TLS add to an out-of-band round trip? One sample is one {@code exec-oob bench-ping}
 * from a {@link QmpClient} to an embedded server on loopback, over plain TCP ({@code tcp}) or
 * over TLS ({@code tls}, TLS 1.3 with a P-256 certificate, the client checking it); everything
 * else is the same, so the ratio of the two is the cost of encryption on the out-of-band path
 * (the handshake is done once, in the set-up). Both variants run in one invocation, so their
 * ratio is measured on the same machine in the same state.
 *
 * <p>The certificate is made for the run with the JDK's {@code keytool} in a temporary directory.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Benchmark)
public class TlsOobLatency {
    private static final char[] PASSWORD = "jqmp-bench".toCharArray(); // keytool wants 6 characters or more

    @Param({"tcp", "tls"})
    public String transport;

    private Path dir;
    private QmpServer server;
    private QmpClient client;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("jqmp-bench-tls");
        QmpServer.Builder b = Target.embedded("tcp:127.0.0.1:0", "park", true, null);
        QmpClient.Builder c;
        if (transport.equals("tls")) {
            KeyStore store = selfSignedLocalhost(dir);
            b.listen("tls:127.0.0.1:0").tls(TlsCredentials.of(serverContext(store), TlsCredentials.Side.SERVER, false));
            server = b.build().start();
            int port = ((Endpoint.Tls) server.endpoints().get(1)).port();
            c = QmpClient.builder("tls:localhost:" + port)
                    .tls(TlsCredentials.of(clientContext(store), TlsCredentials.Side.CLIENT, true));
        } else if (transport.equals("tcp")) {
            server = b.build().start();
            c = QmpClient.builder(server.endpoints().get(0));
        } else {
            throw new IllegalArgumentException("transport must be tcp or tls, not '" + transport + "'");
        }
        client = c.oob(true).connect();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        client.close();
        server.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One out-of-band round trip. */
    @Benchmark
    public Object probe() throws Exception {
        return client.callOob("bench-ping", null);
    }

    /** A PKCS#12 store with a self-signed P-256 key pair for localhost and 127.0.0.1, made by keytool. */
    static KeyStore selfSignedLocalhost(Path dir) throws Exception {
        Path p12 = dir.resolve("server.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process k = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "qmp", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(), "-storepass",
                new String(PASSWORD)).redirectErrorStream(true).start();
        String out = new String(k.getInputStream().readAllBytes());
        if (!k.waitFor(60, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, PASSWORD);
        }
        return store;
    }

    private static SSLContext serverContext(KeyStore store) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    private static SSLContext clientContext(KeyStore store) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("qmp", store.getCertificate("qmp"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(TlsOobLatency.class.getSimpleName()).build()).run();
    }
}
