package io.jqmp.interop;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code qemu-system-x86_64 -machine none} process with one QMP socket, for interoperability
 * tests. Started by the constructor (which waits, bounded, for the socket to appear) and stopped
 * by {@link #close()} through its {@link Process}. Not thread-safe.
 */
public final class Qemu implements AutoCloseable {
    public static final String BINARY = "qemu-system-x86_64";

    public final Path socket;
    public final Path log;
    private final Process process;

    /** Whether the QEMU binary is on the PATH. */
    public static boolean available() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, BINARY))) {
                return true;
            }
        }
        return false;
    }

    /** Starts QEMU with its QMP socket at {@code dir/qemu.sock}; {@code extra} are more options. */
    public Qemu(Path dir, String... extra) throws IOException, InterruptedException {
        socket = dir.resolve("qemu.sock");
        log = dir.resolve("qemu.log");
        List<String> cmd = new ArrayList<>(List.of(BINARY, "-machine", "none", "-nodefaults", "-display", "none",
                "-qmp", "unix:" + socket + ",server=on,wait=off"));
        cmd.addAll(List.of(extra));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!listening(socket)) {
            if (!process.isAlive()) {
                throw new IOException("QEMU exited with status " + process.exitValue() + ": " + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IOException("QEMU did not listen on " + socket + " within 20 s");
            }
            // Polling the kernel's socket table; QEMU listens within milliseconds.
            Thread.sleep(10);
        }
    }

    /**
     * Whether a Unix socket is listening at {@code path}: its file appears at bind, before QEMU
     * calls listen, and a client connecting in between is refused (Linux: /proc/net/unix flags
     * 00010000 mark a listening socket).
     */
    public static boolean listening(Path path) throws IOException {
        String suffix = " " + path.toAbsolutePath();
        for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
            String[] f = line.trim().split("\\s+");
            if (line.endsWith(suffix) && f.length >= 8 && f[3].equals("00010000")) {
                return true;
            }
        }
        return false;
    }

    public String endpoint() {
        return "unix:" + socket;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills QEMU at once (SIGKILL), as a crash would, and waits for it to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops QEMU: SIGTERM, then SIGKILL after 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
