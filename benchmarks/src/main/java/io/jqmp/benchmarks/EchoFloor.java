package io.jqmp.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
 * What does the socket round trip alone cost? The {@link OobLatency} prober's exact request
 * against an {@link EchoServer}: the floor every other latency is compared with.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Benchmark)
public class EchoFloor {
    @Param({"unix"})
    public String transport;
    @Param({"query-yank"})
    public String command;
    /**
     * Which threads carry a line ({@link EchoServer.Threads}, lower case): {@code platform} is the
     * floor; the others price the thread hops of jqmp's path one by one.
     */
    @Param({"platform"})
    public String threads;

    private Path dir;
    private EchoServer echo;
    private Prober prober;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("jqmp-echo");
        EchoServer.Threads t = EchoServer.Threads.valueOf(threads.toUpperCase(java.util.Locale.ROOT));
        echo = switch (transport) {
            case "unix" -> EchoServer.unix(dir.resolve("echo.sock"), t);
            case "tcp" -> EchoServer.tcp(t);
            default -> throw new IllegalArgumentException("transport must be unix or tcp, not '" + transport + "'");
        };
        prober = Prober.open(echo.endpoint(), true);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        prober.close();
        echo.close();
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public void probe() throws IOException {
        long id = prober.nextId();
        prober.roundTrip(Prober.request(true, command, null, id), id);
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(EchoFloor.class.getSimpleName()).build()).run();
    }
}
