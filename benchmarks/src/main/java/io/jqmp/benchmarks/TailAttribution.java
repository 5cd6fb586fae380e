package io.jqmp.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;

/**
 * Where does an out-of-band round trip's tail go? Runs one load case against an embedded jqmp
 * server with a JFR recording of the server's {@code io.jqmp.Command} events, the prober's
 * {@link ProbeEvent}s and the JVM's pauses, then prints {@link StageBreakdown}'s table and how
 * long each kind of thread waited for a CPU (Linux {@code /proc/self/task/N/schedstat}).
 *
 * <p>Cases (as {@code ./jqmp bench}): {@code idle}; {@code light} = 16 loaders each keeping 8
 * {@code query-status} in flight; {@code heavy} = 4 loaders each keeping 8
 * {@code query-qmp-schema} in flight; {@code blocked} = the main loop held by {@code x-oob-test}.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.jqmp.benchmarks.TailAttribution CASE [SECONDS]
 * [FILE.jfr] [virtual|platform]}, the last naming the threads of the prober's connection (see
 * {@link Target#open(String, String, String, boolean, String, String)}). Single-threaded apart from the
 * load it starts.
 */
public final class TailAttribution {
    /** Probing before and after the recorded probes, while the recording starts and stops. */
    private static final long MARGIN_NANOS = 500_000_000L;

    private TailAttribution() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: TailAttribution idle|light|heavy|blocked [SECONDS] [FILE.jfr] [virtual|platform]");
            System.exit(2);
        }
        String load = args[0];
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path file = args.length > 2 ? Path.of(args[2]) : Files.createTempFile("tail-" + load, ".jfr");
        run(load, seconds, file, args.length > 3 ? args[3] : "virtual");
    }

    /** Runs one case; {@code probeThreads} as {@link Target#open(String, String, String, boolean, String, String)}'s. */
    static void run(String load, int seconds, Path file, String probeThreads) throws Exception {
        try (Target server = Target.open("embedded", "unix", "park", true, probeThreads, "");
             Prober prober = Prober.open(server.endpoint(0), true)) {
            Loader loader = switch (load) {
                case "idle" -> null;
                case "blocked" -> {
                    server.blockMainLoop();
                    yield null;
                }
                case "light" -> Loader.start(i -> server.endpoint(i + 1), 16, OobLatency.LOADER_DEPTH, "query-status");
                case "heavy" -> Loader.start(i -> server.endpoint(i + 1), 4, OobLatency.LOADER_DEPTH, "query-qmp-schema");
                default -> throw new IllegalArgumentException("case must be idle, light, heavy or blocked, not '" + load + "'");
            };
            try {
                // One platform thread does all the probing, so its CPU waits show in /proc until the end.
                Exception[] failed = new Exception[1];
                Thread t = Thread.ofPlatform().name("prober").start(() -> {
                    try {
                        measure(prober, load, seconds, file);
                    } catch (Exception e) {
                        failed[0] = e;
                    }
                });
                t.join();
                if (failed[0] != null) {
                    throw failed[0];
                }
                if (loader != null && loader.errors() > 0) {
                    System.out.println("loader errors: " + loader.errors());
                }
            } finally {
                if (loader != null) {
                    loader.close();
                }
            }
        }
    }

    /** Prober thread: warms up, records, prints the tables. */
    private static void measure(Prober prober, String load, int seconds, Path file) throws IOException {
        probe(prober, TimeUnit.SECONDS.toNanos(3), null); // warm-up, not recorded
        Map<String, long[]> before = SchedStats.byRole();
        long t0 = System.nanoTime();
        try (Recording r = new Recording()) {
            r.enable("io.jqmp.Command").withoutThreshold();
            r.enable(ProbeEvent.NAME);
            r.enable("jdk.GCPhasePause");
            r.enable("jdk.SafepointBegin");
            r.enable("jdk.SafepointEnd");
            r.enable("jdk.VirtualThreadSubmitFailed");
            r.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ofMillis(1));
            r.start();
            // Starting and stopping a recording stops the JVM for a while: keep that out of the probes.
            probe(prober, MARGIN_NANOS, null);
            probe(prober, TimeUnit.SECONDS.toNanos(seconds), load);
            probe(prober, MARGIN_NANOS, null);
            r.stop();
            r.dump(file);
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        Map<String, long[]> after = SchedStats.byRole();
        System.out.println("## " + load + " (" + file + ")");
        System.out.println();
        System.out.print(StageBreakdown.markdown(StageBreakdown.read(file)));
        System.out.println();
        System.out.println(SchedStats.markdown(before, after, elapsed));
    }

    /** Probes back to back for {@code nanos}, each round trip a {@link ProbeEvent} of {@code phase} unless that is null. */
    private static void probe(Prober prober, long nanos, String phase) throws IOException {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            long id = prober.nextId();
            byte[] request = Prober.request(true, "query-yank", null, id);
            ProbeEvent e = phase != null ? new ProbeEvent() : null;
            if (e != null) {
                e.begin();
            }
            prober.roundTrip(request, id);
            if (e != null) {
                e.requestId = Long.toString(id);
                e.phase = phase;
                e.commit();
            }
        }
    }

    /**
     * How long this process's threads waited for a CPU while runnable, by role (Linux
     * schedstat: time on CPU, time waiting in the run queue, time slices).
     */
    static final class SchedStats {
        private SchedStats() {
        }

        /** Sums per role of {on-CPU ns, run-queue wait ns, slices}; empty where /proc is missing. */
        static Map<String, long[]> byRole() {
            Map<String, long[]> sums = new TreeMap<>();
            Path tasks = Path.of("/proc/self/task");
            if (!Files.isDirectory(tasks)) {
                return sums;
            }
            try (var s = Files.list(tasks)) {
                for (Path t : s.toList()) {
                    try {
                        String comm = Files.readString(t.resolve("comm")).strip();
                        String[] f = Files.readString(t.resolve("schedstat")).strip().split(" ");
                        long[] sum = sums.computeIfAbsent(role(comm), k -> new long[3]);
                        for (int i = 0; i < 3; i++) {
                            sum[i] += Long.parseLong(f[i]);
                        }
                    } catch (IOException | RuntimeException e) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                return sums;
            }
            return sums;
        }

        private static String role(String comm) {
            if (comm.startsWith("ForkJoinPool-")) {
                return "virtual-thread carriers";
            }
            return switch (comm) {
                case "monitor", "main-loop", "loader", "prober" -> comm;
                default -> "other JVM threads";
            };
        }

        static String markdown(Map<String, long[]> before, Map<String, long[]> after, double seconds) {
            if (after.isEmpty()) {
                return "(no /proc/self/task: CPU waits not measured)\n";
            }
            Map<String, long[]> d = new LinkedHashMap<>();
            after.forEach((k, v) -> {
                long[] b = before.getOrDefault(k, new long[3]);
                d.put(k, new long[] {v[0] - b[0], v[1] - b[1], v[2] - b[2]});
            });
            StringBuilder sb = new StringBuilder("| threads | on CPU, ms/s | waiting for a CPU, ms/s | mean wait per slice, µs |\n"
                    + "|---|---:|---:|---:|\n");
            d.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.1f |%n", k, v[0] / 1e6 / seconds,
                    v[1] / 1e6 / seconds, v[2] == 0 ? 0 : v[1] / 1e3 / v[2])));
            return sb.toString();
        }
    }
}
