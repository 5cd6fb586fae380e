package io.jqmp.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@code jqmp proxy} against QEMU direct, measured in the same run on the same QEMU 7.2: one QEMU
 * with {@value #MONITORS} monitors and two more, the proxy (a separate JVM started from the cli
 * jar) holding monitor {@value #MONITORS} - 1, the direct cases on the others (QEMU serves one
 * client per monitor), a baseline proxy and a relay on the two extra ones.
 *
 * <p>Cases, each through the proxy and direct: the {@code exec-oob query-yank} round trip idle
 * (interleaved probe by probe across the paths); with 16 loaders each keeping 8
 * {@code query-status} in flight (direct: 16 monitors of their own, the prober alone on its
 * monitor; proxy: all 17 connections on the proxy, so all the load goes through the one upstream
 * monitor the prober's requests use); with the prober's own connection keeping 8
 * {@code query-status} in flight (and, direct only, 7); and in-band throughput of 16x8 and 1x8
 * loaders. Rounds are interleaved (every case once per round on every path), after a warm-up
 * round that is not reported; the report gives p50, p99 and p99.9 per round and their medians.
 *
 * <p>References in the same rounds: with {@code --baseline-jar JAR} a second proxy, started from
 * another build's cli jar, runs every case right after the proxy (a same-run comparison of two
 * builds); when {@code socat} is installed, a socat relay in front of a monitor joins the idle
 * case (the least any process in the path costs). {@code --cases} picks some of the case groups
 * (idle, loaded, own, throughput).
 *
 * <p>Usage: {@code ProxyBench --cli-jar JAR [--baseline-jar JAR] [--rounds N] [--samples N]
 * [--seconds S] [--cases LIST] [--out FILE]}. Runs on the main thread; loaders on threads of
 * their own ({@link Loader}).
 */
public final class ProxyBench {
    static final int MONITORS = 18;
    static final int LOADERS = 16;
    static final int DEPTH = OobLatency.LOADER_DEPTH;
    /** The longest one latency case may take per round, whatever the sample count. */
    static final long CASE_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** The case groups {@code --cases} chooses from. */
    static final List<String> CASES = List.of("idle", "loaded", "own", "throughput");

    private final String direct;
    /** Where a path's clients connect: "proxy", and "baseline" when a baseline proxy runs. */
    private final Map<String, String> proxies;
    /** A socat relay in front of a monitor of its own (the idle case's floor for any process in the path), or null. */
    private final String relay;
    private final int samples;
    private final int seconds;

    private ProxyBench(String directPattern, Map<String, String> proxies, String relay, int samples, int seconds) {
        this.direct = directPattern;
        this.relay = relay;
        this.proxies = proxies;
        this.samples = samples;
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>(Map.of("--rounds", "3", "--samples", "5000", "--seconds", "5",
                "--out", "benchmarks/target/proxy-bench.md", "--cases", String.join(",", CASES)));
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("usage: ProxyBench --cli-jar JAR [--baseline-jar JAR] [--rounds N]"
                        + " [--samples N] [--seconds S] [--cases " + String.join(",", CASES) + "] [--out FILE]; got "
                        + String.join(" ", args));
            }
            opt.put(args[i], args[++i]);
        }
        if (!opt.containsKey("--cli-jar")) {
            throw new IllegalArgumentException("--cli-jar JAR is required: the jqmp-cli-*-all.jar that runs the proxy");
        }
        List<String> cases = List.of(opt.get("--cases").split(","));
        if (!CASES.containsAll(cases)) {
            throw new IllegalArgumentException("--cases takes some of " + String.join(",", CASES) + "; got "
                    + opt.get("--cases"));
        }
        Path binary = Qemu.find().orElseThrow(() -> new IllegalStateException(Qemu.BINARY + " is not on the PATH"));
        int rounds = Integer.parseInt(opt.get("--rounds"));
        String baselineJar = opt.get("--baseline-jar");
        String loadBefore = loadAverage();
        Instant started = Instant.now();
        Optional<Path> socat = Relay.find();
        try (Qemu qemu = Qemu.start(binary, MONITORS + 2);
             ProxyProcess proxy = ProxyProcess.start(Path.of(opt.get("--cli-jar")),
                     qemu.endpointPattern().replace("%d", Integer.toString(MONITORS - 1)));
             ProxyProcess baseline = baselineJar == null ? null : ProxyProcess.start(Path.of(baselineJar),
                     qemu.endpointPattern().replace("%d", Integer.toString(MONITORS)));
             Relay relay = socat.isEmpty() ? null : Relay.start(socat.get(),
                     qemu.endpointPattern().replace("%d", Integer.toString(MONITORS + 1)))) {
            Map<String, String> proxies = new LinkedHashMap<>();
            proxies.put("proxy", proxy.endpoint());
            if (baseline != null) {
                proxies.put("baseline", baseline.endpoint());
            }
            ProxyBench b = new ProxyBench(qemu.endpointPattern(), proxies, relay == null ? null : relay.endpoint(),
                    Integer.parseInt(opt.get("--samples")), Integer.parseInt(opt.get("--seconds")));
            Results results = new Results();
            System.out.println("warm-up round (not reported)");
            b.round(new Results(), cases, Math.max(1, b.samples / 5), 1);
            for (int r = 1; r <= rounds; r++) {
                System.out.println("round " + r + " of " + rounds + ", load average " + loadAverage());
                b.round(results, cases, b.samples, b.seconds);
            }
            String report = results.report(qemu.version(), rounds, b.samples, b.seconds, started, loadBefore,
                    loadAverage(), baselineJar, socat.isPresent());
            Path out = Path.of(opt.get("--out"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report);
            System.out.println(report);
            System.out.println("written to " + out);
        }
    }

    /** The paths of a round, in order: QEMU direct, the proxy, and the baseline proxy when there is one. */
    private List<String> paths() {
        List<String> paths = new ArrayList<>();
        paths.add("direct");
        paths.addAll(proxies.keySet());
        return paths;
    }

    /** One round: every chosen case on every path, direct first. */
    private void round(Results results, List<String> cases, int n, int secs) throws IOException, InterruptedException {
        if (cases.contains("idle")) {
            Map<String, long[]> idle = oobIdle(n);
            idle.forEach((where, lat) -> results.latency("exec-oob, idle", where, lat));
        }
        if (cases.contains("loaded")) {
            for (String where : paths()) {
                results.latency("exec-oob, 16 loaders x 8 in-band", where, oobLoaded(where, n));
            }
        }
        if (cases.contains("own")) {
            for (String where : paths()) {
                results.latency("exec-oob, 8 in-band on the prober's own connection", where, oobOwnLoad(where, n, DEPTH));
            }
            // QEMU stops reading a monitor whose queue holds 8 in-band requests; with 7 it never does
            results.latency("exec-oob, 7 in-band on the prober's own connection", "direct",
                    oobOwnLoad("direct", n, DEPTH - 1));
        }
        if (cases.contains("throughput")) {
            for (String where : paths()) {
                results.throughput("in-band query-status/s, 16 connections x 8", where, throughput(where, LOADERS, secs));
            }
            for (String where : paths()) {
                results.throughput("in-band query-status/s, 1 connection x 8", where, throughput(where, 1, secs));
            }
        }
    }

    /** Connection {@code i}'s endpoint: monitor {@code i} of QEMU, or the proxy. */
    private String endpoint(String where, int i) {
        return switch (where) {
            case "direct" -> direct.replace("%d", Integer.toString(i));
            case "relay" -> relay;
            default -> proxies.get(where);
        };
    }

    /**
     * {@code n} idle out-of-band round trips on every path, interleaved probe by probe (one on each
     * path in turn), so that whatever the machine does meanwhile falls on all paths alike. The
     * order of the paths is shuffled anew for every turn: in a fixed order, the path probed right
     * after a proxy pays for the work that proxy does after its answer is out (about 30 µs at p50
     * on 2 shared cores, whichever build came second).
     */
    private Map<String, long[]> oobIdle(int n) throws IOException {
        List<String> paths = new ArrayList<>(paths());
        if (relay != null) {
            paths.add("relay");
        }
        List<Prober> probers = new ArrayList<>();
        try {
            for (String where : paths) {
                probers.add(Prober.open(endpoint(where, 0), true));
            }
            long[][] lat = new long[paths.size()][n];
            Random order = new Random(n); // seeded: the same orders in every run
            long deadline = System.nanoTime() + CASE_NANOS;
            int count = 0;
            while (count < n && System.nanoTime() < deadline) {
                for (int k : turn(probers.size(), order)) {
                    lat[k][count] = roundTrip(probers.get(k));
                }
                count++;
            }
            Map<String, long[]> byPath = new LinkedHashMap<>();
            for (int k = 0; k < paths.size(); k++) {
                byPath.put(paths.get(k), Arrays.copyOf(lat[k], count));
            }
            return byPath;
        } finally {
            for (Prober p : probers) {
                p.close();
            }
        }
    }

    /** The order of one turn of idle probes over {@code paths} paths: a fresh shuffle. */
    static List<Integer> turn(int paths, Random order) {
        List<Integer> turn = new ArrayList<>(paths);
        for (int k = 0; k < paths; k++) {
            turn.add(k);
        }
        Collections.shuffle(turn, order);
        return turn;
    }

    private long[] oobLoaded(String where, int n) throws IOException {
        try (Prober p = Prober.open(endpoint(where, 0), true);
             Loader load = Loader.start(i -> endpoint(where, i + 1), LOADERS, DEPTH, "query-status")) {
            long[] lat = probe(p, n);
            check(load);
            return lat;
        }
    }

    /**
     * The prober keeps {@code depth} in-band {@code query-status} in flight on its own connection and sends
     * one {@code exec-oob} at a time among them; one thread writes and reads, answering each
     * in-band answer with a new request.
     */
    private long[] oobOwnLoad(String where, int n, int depth) throws IOException {
        try (Prober p = Prober.open(endpoint(where, 0), true)) {
            long[] lat = new long[n];
            int count = 0;
            for (int i = 0; i < depth; i++) {
                p.send(Prober.request(false, "query-status", null, p.nextId()));
            }
            long deadline = System.nanoTime() + CASE_NANOS;
            long probeId = p.nextId();
            long sent = System.nanoTime();
            p.send(Prober.request(true, "query-yank", null, probeId));
            while (count < n) {
                long id = p.awaitLine();
                if (id == Long.MIN_VALUE) {
                    continue;
                }
                if (!p.lastLineIsReturn()) {
                    throw new IOException("error answer: " + p.lastLine());
                }
                if (id != probeId) {
                    p.send(Prober.request(false, "query-status", null, p.nextId()));
                    continue;
                }
                lat[count++] = System.nanoTime() - sent;
                if (System.nanoTime() > deadline) {
                    break;
                }
                probeId = p.nextId();
                sent = System.nanoTime();
                p.send(Prober.request(true, "query-yank", null, probeId));
            }
            // the in-band requests still in flight are answered after the probe; closing drops them
            return Arrays.copyOf(lat, count);
        }
    }

    /** {@code n} out-of-band round trips, one at a time, or as many as {@link #CASE_NANOS} allows. */
    private static long[] probe(Prober p, int n) throws IOException {
        long[] lat = new long[n];
        long deadline = System.nanoTime() + CASE_NANOS;
        int count = 0;
        while (count < n && System.nanoTime() < deadline) {
            lat[count++] = roundTrip(p);
        }
        return Arrays.copyOf(lat, count);
    }

    /** One {@code exec-oob query-yank} round trip, in nanoseconds. */
    private static long roundTrip(Prober p) throws IOException {
        long id = p.nextId();
        byte[] req = Prober.request(true, "query-yank", null, id);
        long t0 = System.nanoTime();
        p.roundTrip(req, id);
        long nanos = System.nanoTime() - t0;
        if (!p.lastLineIsReturn()) {
            throw new IOException("error answer: " + p.lastLine());
        }
        return nanos;
    }

    /** Answers per second of {@code connections} loaders at depth 8, over {@code secs} after one second of settling. */
    private double throughput(String where, int connections, int secs) throws IOException, InterruptedException {
        try (Loader load = Loader.start(i -> endpoint(where, i + 1), connections, DEPTH, "query-status")) {
            Thread.sleep(1000); // settling before the window, not a synchronisation
            long n0 = load.responses();
            long t0 = System.nanoTime();
            Thread.sleep(secs * 1000L); // the measurement window
            long n1 = load.responses();
            long t1 = System.nanoTime();
            check(load);
            return (n1 - n0) * 1e9 / (t1 - t0);
        }
    }

    private static void check(Loader load) {
        if (load.errors() > 0) {
            throw new IllegalStateException(load.errors() + " error answers or disconnects under load");
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Per-case, per-round figures, and the report made of them. Main thread only. */
    static final class Results {
        /** case -> where -> per-round {p50, p99, p99.9} in microseconds. */
        private final Map<String, Map<String, List<double[]>>> latencies = new LinkedHashMap<>();
        private final Map<String, Map<String, List<Double>>> rates = new LinkedHashMap<>();

        void latency(String name, String where, long[] nanos) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            double[] p = {pct(s, 0.50), pct(s, 0.99), pct(s, 0.999), s.length};
            latencies.computeIfAbsent(name, k -> new LinkedHashMap<>()).computeIfAbsent(where, k -> new ArrayList<>()).add(p);
            System.out.printf(Locale.ROOT, "  %-55s %-6s p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us  (%d samples)%n",
                    name, where, p[0], p[1], p[2], s.length);
        }

        void throughput(String name, String where, double perSecond) {
            rates.computeIfAbsent(name, k -> new LinkedHashMap<>()).computeIfAbsent(where, k -> new ArrayList<>()).add(perSecond);
            System.out.printf(Locale.ROOT, "  %-55s %-6s %10.0f /s%n", name, where, perSecond);
        }

        /** The value at quantile {@code q} of sorted nanoseconds, in microseconds (nearest rank). */
        static double pct(long[] sorted, double q) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(q * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)] / 1000.0;
        }

        static double median(List<Double> v) {
            return ReportWriter.median(v.stream().mapToDouble(Double::doubleValue).toArray());
        }

        private double medianOf(String name, String where, int k) {
            return median(latencies.get(name).get(where).stream().map(p -> p[k]).toList());
        }

        String report(String qemuVersion, int rounds, int samples, int seconds, Instant started, String loadBefore,
                      String loadAfter, String baselineJar, boolean relay) {
            StringBuilder sb = new StringBuilder();
            sb.append("Run ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(", ").append(qemuVersion)
                    .append(", JDK ").append(Runtime.version()).append(", ")
                    .append(Runtime.getRuntime().availableProcessors()).append(" CPUs; ").append(rounds)
                    .append(" interleaved rounds after a warm-up round; up to ").append(samples)
                    .append(" probes per case and round (at most ").append(CASE_NANOS / 1_000_000_000)
                    .append(" s), throughput over ").append(seconds).append(" s; load average ").append(loadBefore)
                    .append(" before, ").append(loadAfter).append(" after.");
            if (baselineJar != null) {
                sb.append(" Baseline: a second proxy started from ").append(Path.of(baselineJar).getFileName())
                        .append(" on its own monitor of the same QEMU, measured right after the proxy in every case.");
            }
            if (relay) {
                sb.append(" Relay: socat relaying a monitor of its own (UNIX-LISTEN to UNIX-CONNECT), in the idle"
                        + " case: what any process in the path costs on this machine.");
            }
            sb.append("\n\n");
            if (!latencies.isEmpty()) {
                sb.append("Out-of-band round trip (`exec-oob query-yank`), µs, median of the rounds (rounds in brackets);"
                        + " ratios and differences of those medians:\n\n");
                sb.append("| case | path | p50 | p99 | p99.9 | /direct p50 | p99 | p99.9 | − direct p50 |\n");
                sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
                for (var e : latencies.entrySet()) {
                    for (String where : e.getValue().keySet()) {
                        sb.append("| ").append(e.getKey()).append(" | ").append(where);
                        for (int k = 0; k < 3; k++) {
                            sb.append(String.format(Locale.ROOT, " | %.1f (%s)", medianOf(e.getKey(), where, k),
                                    rounds(e.getValue().get(where), k)));
                        }
                        if (!where.equals("direct") && e.getValue().containsKey("direct")) {
                            for (int k = 0; k < 3; k++) {
                                sb.append(String.format(Locale.ROOT, " | %.2f", medianOf(e.getKey(), where, k)
                                        / medianOf(e.getKey(), "direct", k)));
                            }
                            sb.append(String.format(Locale.ROOT, " | %+.1f |%n", medianOf(e.getKey(), where, 0)
                                    - medianOf(e.getKey(), "direct", 0)));
                        } else {
                            sb.append(" | | | | |\n");
                        }
                    }
                }
                if (baselineJar != null) {
                    sb.append("\nThis proxy against the baseline proxy: the median of the rounds' ratios (rounds in"
                            + " brackets), and of the rounds' differences at p50 in µs:\n\n");
                    sb.append("| case | p50 | p99 | p99.9 | p50 − baseline |\n|---|---:|---:|---:|---:|\n");
                    for (var e : latencies.entrySet()) {
                        List<double[]> mine = e.getValue().get("proxy");
                        List<double[]> base = e.getValue().get("baseline");
                        if (mine == null || base == null) {
                            continue;
                        }
                        sb.append("| ").append(e.getKey());
                        for (int k = 0; k < 3; k++) {
                            List<Double> ratios = new ArrayList<>();
                            for (int r = 0; r < mine.size(); r++) {
                                ratios.add(mine.get(r)[k] / base.get(r)[k]);
                            }
                            sb.append(String.format(Locale.ROOT, " | %.2f (%s)", median(ratios), String.join(", ",
                                    ratios.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList())));
                        }
                        List<Double> diffs = new ArrayList<>();
                        for (int r = 0; r < mine.size(); r++) {
                            diffs.add(mine.get(r)[0] - base.get(r)[0]);
                        }
                        sb.append(String.format(Locale.ROOT, " | %+.1f (%s) |%n", median(diffs), join(diffs)));
                    }
                }
            }
            if (!rates.isEmpty()) {
                sb.append("\nIn-band throughput (answers per second), median of the rounds (rounds in brackets):\n\n");
                List<String> paths = List.copyOf(rates.values().iterator().next().keySet());
                sb.append("| case");
                paths.forEach(w -> sb.append(" | ").append(w));
                paths.stream().skip(1).forEach(w -> sb.append(" | ").append(w).append("/direct"));
                sb.append(" |\n|---").append("|---:".repeat(2 * paths.size() - 1)).append("|\n");
                for (var e : rates.entrySet()) {
                    sb.append("| ").append(e.getKey());
                    for (String w : paths) {
                        sb.append(String.format(Locale.ROOT, " | %.0f (%s)", median(e.getValue().get(w)),
                                join(e.getValue().get(w))));
                    }
                    double d = median(e.getValue().get("direct"));
                    for (String w : paths.subList(1, paths.size())) {
                        sb.append(String.format(Locale.ROOT, " | %.2f", median(e.getValue().get(w)) / d));
                    }
                    sb.append(" |\n");
                }
            }
            return sb.toString();
        }

        private static String rounds(List<double[]> perRound, int k) {
            return String.join(", ", perRound.stream().map(p -> String.format(Locale.ROOT, "%.0f", p[k])).toList());
        }

        private static String join(List<Double> v) {
            return String.join(", ", v.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList());
        }
    }

    /** A socat relay from a Unix socket of its own to a QEMU monitor; closed by killing it. */
    static final class Relay implements AutoCloseable {
        private final Process process;
        private final Path dir;

        private Relay(Process process, Path dir) {
            this.process = process;
            this.dir = dir;
        }

        static Optional<Path> find() {
            return Qemu.onPath("socat");
        }

        static Relay start(Path socat, String upstream) throws IOException, InterruptedException {
            ProxyProcess.awaitListening(Path.of(upstream.substring("unix:".length())));
            Path dir = Files.createTempDirectory("jqmp-bench-relay");
            Process p = new ProcessBuilder(socat.toString(), "UNIX-LISTEN:" + dir.resolve("relay.sock") + ",fork",
                    "UNIX-CONNECT:" + upstream.substring("unix:".length()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("relay.log").toFile()).start();
            Relay relay = new Relay(p, dir);
            try {
                ProxyProcess.awaitListening(dir.resolve("relay.sock"));
            } catch (IOException e) {
                relay.close();
                throw e;
            }
            return relay;
        }

        String endpoint() {
            return "unix:" + dir.resolve("relay.sock");
        }

        @Override
        public void close() throws IOException {
            Qemu.stop(process, dir);
        }
    }

    /**
     * {@code jqmp proxy} in a JVM of its own, started from the cli jar with the JVM running this
     * benchmark, listening on a Unix socket in a temporary directory; closed by killing it.
     */
    static final class ProxyProcess implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final Path socket;

        private ProxyProcess(Process process, Path dir, Path socket) {
            this.process = process;
            this.dir = dir;
            this.socket = socket;
        }

        static ProxyProcess start(Path cliJar, String upstream) throws IOException, InterruptedException {
            if (!Files.isRegularFile(cliJar)) {
                throw new IOException(cliJar + " does not exist: build it with mvn -pl cli -am package -DskipTests");
            }
            awaitListening(Path.of(upstream.substring("unix:".length())));
            Path dir = Files.createTempDirectory("jqmp-bench-proxy");
            Path socket = dir.resolve("proxy.sock");
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-jar",
                    cliJar.toString(), "proxy", "--to", upstream, "--qmp", "unix:" + socket)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile()).start();
            ProxyProcess proxy = new ProxyProcess(p, dir, socket);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // The proxy binds its socket once it is connected upstream; a probe connection proves it serves.
            while (true) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String log = Files.readString(dir.resolve("proxy.log"));
                    proxy.close();
                    throw new IOException("the proxy did not start: " + log.strip());
                }
                if (Files.exists(socket)) {
                    try (Prober probe = Prober.open("unix:" + socket, true)) {
                        return proxy;
                    } catch (IOException e) {
                        // bound but not listening yet
                    }
                }
                Thread.sleep(20);
            }
        }

        String endpoint() {
            return "unix:" + socket;
        }

        /**
         * Waits (at most 20 s) until a Unix socket listens: QEMU creates the file at bind, a moment
         * before it listens, and the proxy exits if it cannot connect at start. Linux: flags
         * 00010000 in /proc/net/unix mark a listening socket.
         */
        static void awaitListening(Path socket) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String suffix = " " + socket.toAbsolutePath();
            while (Files.readAllLines(Path.of("/proc/net/unix")).stream()
                    .noneMatch(l -> l.endsWith(suffix) && l.trim().split("\\s+")[3].equals("00010000"))) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(socket + " is not listening after 20 s");
                }
                Thread.sleep(10);
            }
        }

        @Override
        public void close() throws IOException {
            Qemu.stop(process, dir);
        }
    }
}
