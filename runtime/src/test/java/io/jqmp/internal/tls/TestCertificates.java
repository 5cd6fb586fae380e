package io.jqmp.internal.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test run with openssl, into a temporary directory (no key is ever
 * committed): a CA, a server certificate for {@code localhost} and {@code 127.0.0.1}, client
 * certificates ({@code CN=admin,O=jqmp test} and {@code CN=guest,O=jqmp test}), and a client
 * certificate from a second CA that the server does not trust. Each credentials directory is laid
 * out as QEMU's {@code tls-creds-x509} wants it.
 *
 * <p>Tests that need it are skipped where openssl is not installed.
 */
public final class TestCertificates {
    /** ca-cert.pem, server-cert.pem, server-key.pem */
    public final Path serverDir;
    /** ca-cert.pem, client-cert.pem, client-key.pem for CN=admin */
    public final Path adminDir;
    /** the same for CN=guest */
    public final Path guestDir;
    /** a client whose certificate comes from another CA */
    public final Path strangerDir;
    /** ca-cert.pem only: a client without a certificate of its own */
    public final Path anonymousDir;
    private final Path root;

    private TestCertificates(Path root) {
        this.root = root;
        this.serverDir = root.resolve("server");
        this.adminDir = root.resolve("admin");
        this.guestDir = root.resolve("guest");
        this.strangerDir = root.resolve("stranger");
        this.anonymousDir = root.resolve("anonymous");
    }

    /** Makes everything under {@code root} (EC P-256 keys: quick to make). */
    public static TestCertificates create(Path root) throws IOException, InterruptedException {
        assumeTrue(opensslAvailable(), "openssl is not installed");
        TestCertificates c = new TestCertificates(root);
        Path work = Files.createDirectories(root.resolve("work"));
        c.ca(work, "ca", "/CN=jqmp test CA");
        c.ca(work, "other-ca", "/CN=another CA");
        c.issue(work, "ca", "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        c.issue(work, "ca", "admin", "/O=jqmp test/CN=admin", null);
        c.issue(work, "ca", "guest", "/O=jqmp test/CN=guest", null);
        c.issue(work, "other-ca", "stranger", "/O=jqmp test/CN=admin", null);
        c.lay(work, "server", c.serverDir, "server", "ca");
        c.lay(work, "admin", c.adminDir, "client", "ca");
        c.lay(work, "guest", c.guestDir, "client", "ca");
        c.lay(work, "stranger", c.strangerDir, "client", "ca");
        Files.createDirectories(c.anonymousDir);
        Files.copy(work.resolve("ca-cert.pem"), c.anonymousDir.resolve("ca-cert.pem"));
        return c;
    }

    /** Where intermediate files (CA keys, CSRs) are. */
    public Path work() {
        return root.resolve("work");
    }

    private void ca(Path work, String name, String subject) throws IOException, InterruptedException {
        openssl(work, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + "-key.pem");
        openssl(work, "req", "-x509", "-new", "-key", name + "-key.pem", "-out", name + "-cert.pem", "-days", "2",
                "-subj", subject);
    }

    private void issue(Path work, String ca, String name, String subject, String extension)
            throws IOException, InterruptedException {
        openssl(work, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + "-key.pem");
        openssl(work, "req", "-new", "-key", name + "-key.pem", "-out", name + ".csr", "-subj", subject);
        List<String> sign = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", ca + "-cert.pem",
                "-CAkey", ca + "-key.pem", "-CAcreateserial", "-out", name + "-cert.pem", "-days", "2"));
        if (extension != null) {
            Files.writeString(work.resolve(name + ".ext"), extension + "\n");
            sign.addAll(List.of("-extfile", name + ".ext"));
        }
        openssl(work, sign.toArray(new String[0]));
    }

    private void lay(Path work, String name, Path dir, String role, String ca) throws IOException {
        Files.createDirectories(dir);
        Files.copy(work.resolve(name + "-cert.pem"), dir.resolve(role + "-cert.pem"));
        Files.copy(work.resolve(name + "-key.pem"), dir.resolve(role + "-key.pem"));
        Files.copy(work.resolve(ca + "-cert.pem"), dir.resolve("ca-cert.pem"));
    }

    /** Runs openssl in {@code dir}; fails with its output when it fails. */
    public static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }

    private static boolean opensslAvailable() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
