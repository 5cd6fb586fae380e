package io.jqmp.benchmarks;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A QEMU for comparison: {@code qemu-system-x86_64 -machine none} with {@code monitors} QMP
 * monitors on Unix sockets {@code DIR/m0.sock ... m(N-1).sock}, because QEMU serves one client
 * per monitor socket. Its endpoint pattern for {@link Target} is {@code unix:DIR/m%d.sock}.
 *
 * <p>Started and closed by one thread; {@link #close()} kills the process.
 */
public final class Qemu implements Closeable {
    /** The binary looked for on the PATH. */
    public static final String BINARY = "qemu-system-x86_64";

    private final Process process;
    private final Path dir;
    private final String version;

    private Qemu(Process process, Path dir, String version) {
        this.process = process;
        this.dir = dir;
        this.version = version;
    }

    /** The QEMU binary on the PATH, if any. */
    public static Optional<Path> find() {
        return onPath(BINARY);
    }

    /** An executable named {@code name} on the PATH, if any. */
    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Starts {@code binary} with {@code monitors} monitors; returns once every socket exists (at most 20 s). */
    public static Qemu start(Path binary, int monitors) throws IOException {
        String version = versionOf(binary);
        Path dir = Files.createTempDirectory("jqmp-bench-qemu");
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-machine", "none", "-nodefaults",
                "-display", "none"));
        for (int i = 0; i < monitors; i++) {
            cmd.add("-qmp");
            cmd.add("unix:" + dir.resolve("m" + i + ".sock") + ",server=on,wait=off");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        Qemu q = new Qemu(p, dir, version);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Path last = dir.resolve("m" + (monitors - 1) + ".sock");
        // QEMU creates the sockets in order while it starts; there is nothing to wait on but the file.
        while (!Files.exists(last)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = Files.readString(dir.resolve("qemu.log"), StandardCharsets.UTF_8);
                q.close();
                throw new IOException("QEMU did not start its monitors: " + log.strip());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                q.close();
                throw new IOException("interrupted", e);
            }
        }
        return q;
    }

    private static String versionOf(Path binary) throws IOException {
        Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out.lines().findFirst().orElse("unknown").strip();
    }

    /** The {@link Target} endpoint pattern: {@code unix:DIR/m%d.sock}. */
    public String endpointPattern() {
        return "unix:" + dir.resolve("m%d.sock");
    }

    /** The first line of {@code qemu-system-x86_64 --version}. */
    public String version() {
        return version;
    }

    @Override
    public void close() throws IOException {
        stop(process, dir);
    }

    /**
     * Ends a server process started for a benchmark (SIGTERM, SIGKILL after 5 s) and deletes its
     * temporary directory (sockets, log). Blocks up to 10 s.
     */
    static void stop(Process process, Path dir) throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
