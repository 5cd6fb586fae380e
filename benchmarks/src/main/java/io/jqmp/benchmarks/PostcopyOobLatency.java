package io.jqmp.benchmarks;

import io.jqmp.client.QmpClient;
import io.jqmp.machine.Machine;
import io.jqmp.machine.MachineConfig;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * How long does an out-of-band {@code query-yank} take on a postcopy destination whose main loop
 * waits for a page that does not come? Two simulated machines in this JVM, each behind its own
 * server on a Unix socket, migrate in postcopy at 20 pages a second. {@code destination=running}
 * probes the destination while its main loop is free (the reference, measured in the same run);
 * {@code paused-blocked} first pauses the migration ({@code x-migration-fault stall} on the source,
 * then {@code migrate-pause}) and puts the destination's main loop on a missing page with an
 * in-band {@code x-guest-memory-checksum}, the situation out-of-band exists for. One sample is one
 * {@code exec-oob} round trip from a raw prober connection.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Benchmark)
public class PostcopyOobLatency {
    private static final Duration STEP = Duration.ofSeconds(20);

    @Param({"running", "paused-blocked"})
    public String destination;

    private Path dir;
    private Machine source;
    private Machine dest;
    private QmpServer sourceServer;
    private QmpServer destServer;
    private QmpClient src;
    private QmpClient dst;
    private Prober prober;
    private byte[] probe;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (!destination.equals("running") && !destination.equals("paused-blocked")) {
            throw new IllegalArgumentException("destination must be running or paused-blocked, not '" + destination + "'");
        }
        dir = Files.createTempDirectory("jqmp-postcopy-bench");
        MachineConfig config = MachineConfig.defaults().withMemory(8 << 20).withDirtyRate(2000);
        String migration = "unix:" + dir.resolve("mig");
        source = new Machine(config);
        dest = new Machine(config.withDirtyRate(0).withIncoming(migration));
        sourceServer = serve(source, "src.sock");
        destServer = serve(dest, "dst.sock");
        src = QmpClient.builder("unix:" + dir.resolve("src.sock")).commandTimeout(STEP).connect();
        dst = QmpClient.builder("unix:" + dir.resolve("dst.sock")).commandTimeout(STEP).connect();
        Map<String, Object> caps = Map.of("capabilities", List.of(Map.of("capability", "events", "state", true),
                Map.of("capability", "postcopy-ram", "state", true)));
        CountDownLatch postcopy = new CountDownLatch(1);
        CountDownLatch paused = new CountDownLatch(1);
        dst.subscribe("MIGRATION", e -> {
            if ("postcopy-active".equals(e.data().get("status"))) {
                postcopy.countDown();
            } else if ("postcopy-paused".equals(e.data().get("status"))) {
                paused.countDown();
            }
        });
        src.call("migrate-set-capabilities", caps);
        dst.call("migrate-set-capabilities", caps);
        src.call("migrate-set-parameters", Map.of("max-bandwidth", 1 << 20, "max-postcopy-bandwidth", 20 * 4096));
        src.call("migrate", Map.of("uri", migration));
        src.call("migrate-start-postcopy", null);
        await(postcopy, "postcopy-active");
        if (destination.equals("paused-blocked")) {
            src.callOob("x-migration-fault", Map.of("action", "stall"));
            dst.callOob("migrate-pause", null);
            await(paused, "postcopy-paused");
            long waits = dest.pageWaits();
            CompletableFuture<Object> blocked = dst.execute("x-guest-memory-checksum", null, Duration.ofDays(1));
            if (!dest.awaitPageWaits(waits + 1, STEP)) {
                throw new IllegalStateException("the checksum never waited for a page: " + blocked);
            }
        }
        prober = Prober.open("unix:" + dir.resolve("dst.sock"), true);
        probe = Prober.request(true, "query-yank", null, 1);
        prober.roundTrip(probe, 1);
        if (!prober.lastLineIsReturn()) {
            throw new IllegalStateException("query-yank failed: " + prober.lastLine());
        }
    }

    private QmpServer serve(Machine m, String socket) throws IOException {
        QmpServer s = m.install(QmpServer.builder().listen("unix:" + dir.resolve(socket))).build();
        m.start(s);
        return s.start();
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(STEP.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("no MIGRATION " + what + " on the destination within " + STEP);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (prober != null) {
            prober.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {src, dst, source, dest, sourceServer, destServer}) {
            try {
                if (c != null) {
                    c.close(); // machines before servers: a main loop blocked on a page lets its server stop
                }
            } catch (Exception e) {
                System.out.println("closing: " + e);
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One probe: exec-oob query-yank to the destination, wait for its answer. */
    @Benchmark
    public void probe() throws IOException {
        prober.roundTrip(probe, 1);
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PostcopyOobLatency.class.getSimpleName()).build()).run();
    }
}
