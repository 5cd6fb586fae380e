package io.jqmp.benchmarks;

import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * How long does an out-of-band command take, from a prober connection, while the main loop is
 * idle, blocked, or saturated by in-band load? One sample is one {@code exec-oob} round trip.
 *
 * <p>{@code mode=inband} is the baseline without OOB: the embedded server offers no
 * capabilities ({@code offerOob(false)}) and the prober sends the same command with
 * {@code execute}, so it queues behind the loaders' work. It cannot be answered while the main
 * loop is blocked, so {@code inband} with {@code blocked} is refused.
 *
 * <p>The load runs on background threads started in the trial set-up ({@link Loader}), not in a
 * JMH {@code @Group}, because the number of loader connections is a parameter and a group's
 * thread counts are fixed at compile time.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Benchmark)
public class OobLatency {
    /** In-band commands each loader connection keeps in flight. */
    public static final int LOADER_DEPTH = 8;

    @Param({"embedded"})
    public String target;
    @Param({"idle"})
    public String load;
    @Param({"4"})
    public int loaders;
    @Param({"unix"})
    public String transport;
    @Param({"park"})
    public String idle;
    @Param({"query-yank"})
    public String command;
    /** {@code oob}: the probe is sent with exec-oob; {@code inband}: the no-OOB baseline. */
    @Param({"oob"})
    public String mode;
    /** The in-band command the loaders send. */
    @Param({"query-status"})
    public String loadCommand;
    /**
     * The threads serving the prober's connection on the embedded server: {@code virtual} (it shares
     * the loaders' listener) or {@code platform} (a management listener of its own).
     */
    @Param({"virtual"})
    public String probeThreads;
    /** For an external target: the prober's own endpoint (a management socket), or empty for the target's. */
    @Param({""})
    public String probeTarget;

    private Target server;
    private Loader loader;
    private Prober prober;
    private boolean outOfBand;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        outOfBand = switch (mode) {
            case "oob" -> true;
            case "inband" -> false;
            default -> throw new IllegalArgumentException("mode must be oob or inband, not '" + mode + "'");
        };
        if (!outOfBand && load.equals("blocked")) {
            throw new IllegalArgumentException("an in-band probe is never answered while the main loop is blocked");
        }
        server = Target.open(target, transport, idle, outOfBand, probeThreads, probeTarget);
        // Negotiate before loading: QEMU runs qmp_capabilities in the main loop, so a client
        // cannot even negotiate while it is blocked (jqmp answers negotiation on the reader).
        prober = Prober.open(server.endpoint(0), outOfBand);
        if (outOfBand && !prober.oob()) {
            throw new IllegalStateException(target + " does not offer the oob capability");
        }
        switch (load) {
            case "idle" -> { }
            case "blocked" -> server.blockMainLoop();
            case "saturated" -> loader = Loader.start(i -> server.endpoint(i + 1), loaders, LOADER_DEPTH, loadCommand);
            default -> throw new IllegalArgumentException("load must be idle, blocked or saturated, not '" + load + "'");
        }
        // One checked probe: the command must succeed, not merely be answered.
        long id = prober.nextId();
        prober.roundTrip(Prober.request(outOfBand, command, null, id), id);
        if (!prober.lastLineIsReturn()) {
            throw new IllegalStateException(command + " failed on " + target + ": " + prober.lastLine());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (prober != null) {
            prober.close();
        }
        if (loader != null) {
            loader.close();
            if (loader.errors() > 0) {
                System.out.println("loader errors: " + loader.errors());
            }
        }
        if (server != null) {
            server.close();
        }
    }

    /** Server-side counters of the embedded server, per iteration (zero for external targets). */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class ServerCounters {
        /** Times a connection's reader stopped reading because 8 in-band requests were pending. */
        public long readerSuspensions;
        /** OOB requests that found the monitor queue full. */
        public long failedOobOffers;
        private long suspensionsAtStart;
        private long failedAtStart;

        @Setup(Level.Iteration)
        public void start(OobLatency b) {
            QmpServer s = b.server.server();
            suspensionsAtStart = s == null ? 0 : s.readerSuspensions();
            failedAtStart = s == null ? 0 : s.failedOobOffers();
            readerSuspensions = 0;
            failedOobOffers = 0;
        }

        @TearDown(Level.Iteration)
        public void end(OobLatency b) {
            QmpServer s = b.server.server();
            if (s != null) {
                readerSuspensions = s.readerSuspensions() - suspensionsAtStart;
                failedOobOffers = s.failedOobOffers() - failedAtStart;
            }
        }
    }

    /** One probe: send the command, wait for the answer with its id. */
    @Benchmark
    public void probe(ServerCounters counters) throws IOException {
        long id = prober.nextId();
        prober.roundTrip(Prober.request(outOfBand, command, null, id), id);
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(OobLatency.class.getSimpleName()).build()).run();
    }
}
