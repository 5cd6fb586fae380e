package io.jqmp.benchmarks;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link BenchServer} in a JVM of its own, started from a class path (this build's, or a
 * previous build's for a before-and-after comparison) and measured from outside, as QEMU is.
 *
 * <p>Started and closed by one thread; {@link #close()} ends its input, then kills it if needed.
 */
final class ServerProcess implements Closeable {
    private final Process process;
    private final String name;

    private ServerProcess(Process process, String name) {
        this.process = process;
        this.name = name;
    }

    /**
     * Starts {@code BenchServer} from {@code classPath} with {@code jvmFlags}, listening on the Unix
     * socket {@code socket} and, unless null, on the management socket {@code management}; returns
     * once it says it is ready (at most 60 s).
     */
    static ServerProcess start(String name, String classPath, List<String> jvmFlags, Path socket, Path management)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", classPath, BenchServer.class.getName(), "unix:" + socket));
        if (management != null) {
            cmd.add("unix:" + management);
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ServerProcess s = new ServerProcess(p, name);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String line = ready.get(60, TimeUnit.SECONDS);
            if (line == null || !line.startsWith("ready")) {
                throw new IOException(name + " server did not start: " + line);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException | IOException e) {
            s.close();
            throw new IOException(name + " server did not start within 60 s: " + e, e);
        }
        return s;
    }

    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
