package io.jqmp.benchmarks;

import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * How many answers per second does a trivial in-band command get, for
 * {@code connections x depth} (connections each keeping {@code depth} commands in flight)?
 *
 * <p>The {@link Loader} threads do the work; the benchmark thread only samples their answer
 * count every millisecond and reports it as the {@code responses} counter (ops/s). Read that
 * counter, not the primary score, which counts samples.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Threads(1)
@State(Scope.Benchmark)
public class InbandThroughput {
    @Param({"embedded"})
    public String target;
    /** {@code CONNECTIONSxDEPTH}. */
    @Param({"1x1", "1x8", "8x8", "64x8"})
    public String shape;
    @Param({"unix"})
    public String transport;
    @Param({"park"})
    public String idle;
    @Param({"query-status"})
    public String command;

    private Target server;
    private Loader loader;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int x = shape.indexOf('x');
        int connections = Integer.parseInt(shape.substring(0, x));
        int depth = Integer.parseInt(shape.substring(x + 1));
        server = Target.open(target, transport, idle, true);
        loader = Loader.start(server::endpoint, connections, depth, command);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        loader.close();
        server.close();
        if (loader.errors() > 0) {
            throw new IllegalStateException(loader.errors() + " error answers or disconnects under load");
        }
    }

    /** Answers per second, the figure this benchmark is about. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Answers {
        public long responses;
        private long seen;

        @Setup(Level.Iteration)
        public void start(InbandThroughput b) {
            responses = 0;
            seen = b.loader.responses();
        }
    }

    /** Back-pressure events of the embedded server per iteration. */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Suspensions {
        public long readerSuspensions;
        private long atStart;

        @Setup(Level.Iteration)
        public void start(InbandThroughput b) {
            QmpServer s = b.server.server();
            readerSuspensions = 0;
            atStart = s == null ? 0 : s.readerSuspensions();
        }

        @TearDown(Level.Iteration)
        public void end(InbandThroughput b) {
            QmpServer s = b.server.server();
            readerSuspensions = s == null ? 0 : s.readerSuspensions() - atStart;
        }
    }

    /** Waits about a millisecond (pacing, not synchronisation) and adds the answers that arrived meanwhile. */
    @Benchmark
    public void sample(Answers answers, Suspensions suspensions) {
        LockSupport.parkNanos(1_000_000);
        long now = loader.responses();
        answers.responses += now - answers.seen;
        answers.seen = now;
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(InbandThroughput.class.getSimpleName()).build()).run();
    }
}
