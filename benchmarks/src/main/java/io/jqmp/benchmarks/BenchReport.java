package io.jqmp.benchmarks;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The driver of {@code ./jqmp bench}: runs the headline benchmarks against an embedded jqmp
 * server, a QEMU 7.2 (when installed) and the echo floor in one run, and writes
 * {@code docs/benchmarks.md} with tables, ratios and PNG plots of the latency distributions.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.jqmp.benchmarks.BenchReport [--quick] [--out FILE]
 * [--no-qemu] [--rounds N] [--baseline CLASSPATH] [--server-jvm 'FLAGS']}: {@code --baseline}
 * adds a previous build (a class path holding its runtime and a {@code BenchServer}) to the
 * interleaved rounds; {@code --server-jvm} gives the server processes JVM flags (e.g. a GC).
 * Single-threaded; each benchmark runs in its own forked JVM, one after the other.
 */
public final class BenchReport {
    /** One benchmark run: a class with fixed parameters. */
    record Case(String key, Class<?> bench, Map<String, String> params) {
    }

    /** One value of a sample distribution and how often it was seen. */
    record Sample(double value, long count) {
    }

    /** What the report needs of a JMH result: the primary score with its samples, and the aux counters. */
    record Measured(String unit, double score, List<Sample> samples, Map<String, Double> secondary) {
        static Measured of(RunResult r) {
            Result<?> primary = r.getPrimaryResult();
            List<Sample> samples = new ArrayList<>();
            Iterator<Map.Entry<Double, Long>> it = primary.getStatistics().getRawData();
            while (it.hasNext()) {
                Map.Entry<Double, Long> e = it.next();
                samples.add(new Sample(e.getKey(), e.getValue()));
            }
            Map<String, Double> secondary = new LinkedHashMap<>();
            r.getSecondaryResults().forEach((name, result) -> secondary.put(name, result.getScore()));
            return new Measured(primary.getScoreUnit(), primary.getScore(), samples, secondary);
        }
    }

    /** A case's outcome: its result, or why it failed. */
    record Outcome(Case c, Measured result, String error) {
        boolean ok() {
            return result != null;
        }
    }

    /**
     * Everything the report is written from, saved as JSON so {@code --rewrite} can redo the text
     * without rerunning (and other tools can read the numbers).
     */
    record Saved(boolean quick, String qemuVersion, String qemuNote, String loadAtStart, String date,
                 LinkedHashMap<String, Outcome> outcomes, int rounds, String baseline, String baselineName,
                 List<String> serverJvmFlags, List<String> baselineJvmFlags, List<String> loadDuringRounds) {
    }

    /** Jackson Jr, writing the saved results readably and in declaration order. */
    static final JSON SAVED_JSON = JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT,
            JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER);

    /**
     * The loads of the interleaved rounds: {@code light} = 16 loaders keeping 8 {@code query-status}
     * in flight each, {@code heavy} = 4 loaders keeping 8 {@code query-qmp-schema} in flight each.
     */
    static final List<String> ROUND_LOADS = List.of("idle", "light", "heavy", "blocked");
    /**
     * The servers of the rounds: this build in a process of its own, with the prober on the
     * loaders' socket and on a management socket; a previous build ({@code --baseline}); QEMU.
     */
    static final List<String> ROUND_SERVERS = List.of("jqmp", "jqmp-management", "base", "qemu");

    private boolean quick;
    private final Path out;
    private final Path logFile;
    private final LinkedHashMap<String, Outcome> outcomes = new LinkedHashMap<>();
    private String qemuPattern;
    private String qemuVersion = "not installed";
    private String qemuNote;
    private String loadAtStart = loadAverage();
    private String date = now();
    private int rounds;
    /** The previous build's class path for the rounds, or null. */
    private String baseline;
    private List<String> serverJvmFlags = List.of();
    private List<String> baselineJvmFlags = List.of();
    private String baselineName = "previous build";
    /** Only the interleaved rounds (for comparisons such as a GC or a previous build), nothing else. */
    private boolean onlyRounds;
    /** The load average before each round. */
    private final ArrayList<String> loadDuringRounds = new ArrayList<>();

    private BenchReport(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
        this.logFile = Path.of("benchmarks", "target", quick ? "bench-quick.log" : "bench-full.log");
    }

    public static void main(String[] args) throws IOException {
        boolean quick = false;
        boolean useQemu = true;
        boolean rewrite = false;
        Path out = Path.of("docs", "benchmarks.md");
        Integer rounds = null;
        String baseline = null;
        List<String> serverJvm = List.of();
        List<String> baselineJvm = null;
        String baselineName = "previous build";
        boolean onlyRounds = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--no-qemu" -> useQemu = false;
                    case "--out" -> out = Path.of(args[++i]);
                    case "--rewrite" -> rewrite = true;
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--baseline" -> baseline = args[++i];
                    case "--server-jvm" -> serverJvm = List.of(args[++i].trim().split("\\s+"));
                    case "--baseline-jvm" -> baselineJvm = List.of(args[++i].trim().split("\\s+"));
                    case "--baseline-name" -> baselineName = args[++i];
                    case "--only-rounds" -> onlyRounds = true;
                    default -> throw new IllegalArgumentException(args[i]);
                }
            }
            if (rounds != null && (rounds < 1 || rounds > 20)) {
                throw new IllegalArgumentException("--rounds");
            }
        } catch (RuntimeException e) {
            System.err.println("usage: BenchReport [--quick] [--no-qemu] [--rewrite] [--out FILE] [--rounds N (1-20)]"
                    + " [--baseline CLASSPATH] [--baseline-jvm 'FLAGS'] [--baseline-name NAME] [--server-jvm 'FLAGS']"
                    + " [--only-rounds]");
            System.exit(2);
        }
        BenchReport report = new BenchReport(quick, out);
        report.rounds = rounds != null ? rounds : quick ? 3 : 5;
        report.baseline = baseline;
        report.serverJvmFlags = serverJvm;
        report.baselineJvmFlags = baselineJvm != null ? baselineJvm : serverJvm;
        report.baselineName = baselineName;
        report.onlyRounds = onlyRounds;
        if (rewrite) {
            report.rewrite();
        } else {
            report.run(useQemu);
        }
    }

    /** Where a run's results are saved: next to the log, one file per kind of run. */
    private Path savedFile(boolean quickRun) {
        return Path.of("benchmarks", "target", quickRun ? "bench-quick.json" : "bench-full.json");
    }

    /** Rewrites the report from the last saved full run (else the last quick run), without measuring. */
    private void rewrite() throws IOException {
        Path f = Files.exists(savedFile(false)) && !quick ? savedFile(false) : savedFile(true);
        if (!Files.exists(f)) {
            say("no saved results in benchmarks/target: run ./jqmp bench first");
            System.exit(2);
        }
        Saved saved = SAVED_JSON.beanFrom(Saved.class, f.toFile());
        quick = saved.quick();
        qemuVersion = saved.qemuVersion();
        qemuNote = saved.qemuNote();
        loadAtStart = saved.loadAtStart();
        date = saved.date();
        outcomes.putAll(saved.outcomes());
        rounds = saved.rounds();
        baseline = saved.baseline();
        baselineName = saved.baselineName();
        serverJvmFlags = saved.serverJvmFlags();
        baselineJvmFlags = saved.baselineJvmFlags();
        loadDuringRounds.addAll(saved.loadDuringRounds());
        new ReportWriter(this).write();
        say("rewrote " + out + " from " + f);
    }

    private void save() throws IOException {
        SAVED_JSON.write(new Saved(quick, qemuVersion, qemuNote, loadAtStart, date, outcomes, rounds, baseline,
                baselineName, serverJvmFlags, baselineJvmFlags, new ArrayList<>(loadDuringRounds)), savedFile(quick).toFile());
    }

    private void run(boolean useQemu) throws IOException {
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        Files.deleteIfExists(logFile);
        Optional<Path> binary = useQemu ? Qemu.find() : Optional.empty();
        Qemu latencyQemu = null;
        Qemu throughputQemu = null;
        try {
            if (binary.isEmpty()) {
                qemuNote = useQemu ? Qemu.BINARY + " is not installed: the QEMU columns are empty."
                        : "QEMU comparison switched off (--no-qemu).";
                say(qemuNote);
            } else {
                latencyQemu = Qemu.start(binary.get(), Target.QEMU_MONITORS);
                qemuPattern = latencyQemu.endpointPattern();
                qemuVersion = latencyQemu.version();
                say("comparing with " + qemuVersion + " (" + binary.get() + ")");
            }
            runRounds();
            if (!onlyRounds) {
                runLatency();
                // A second QEMU with 64 monitors for the throughput shapes (one client per monitor).
                if (binary.isPresent()) {
                    latencyQemu.close();
                    latencyQemu = null;
                    throughputQemu = Qemu.start(binary.get(), 64);
                    qemuPattern = throughputQemu.endpointPattern();
                }
                runThroughput();
                if (throughputQemu != null) {
                    throughputQemu.close();
                    throughputQemu = null;
                }
                runMicro();
            }
        } finally {
            if (latencyQemu != null) {
                latencyQemu.close();
            }
            if (throughputQemu != null) {
                throughputQemu.close();
            }
        }
        save();
        new ReportWriter(this).write();
        say("wrote " + out);
    }

    // ------------------------------------------------------------------ the sets

    /**
     * The headline: {@link #ROUND_LOADS} against each of {@link #ROUND_SERVERS} (those available),
     * every server in its own process and measured by the same prober, in {@code rounds} rounds
     * that interleave the servers (each round starts with the next one), so slow phases of a
     * shared machine fall on all of them alike.
     */
    private void runRounds() throws IOException {
        Path dir = Files.createTempDirectory("jqmp-bench-rounds");
        Map<String, String[]> targets = new LinkedHashMap<>(); // server -> {target, probeTarget}
        List<ServerProcess> processes = new ArrayList<>();
        try {
            String self = System.getProperty("java.class.path");
            processes.add(ServerProcess.start("this build", self, serverJvmFlags, dir.resolve("jqmp.sock"),
                    dir.resolve("jqmp-management.sock")));
            targets.put("jqmp", new String[] {"unix:" + dir.resolve("jqmp.sock"), ""});
            targets.put("jqmp-management", new String[] {"unix:" + dir.resolve("jqmp.sock"),
                "unix:" + dir.resolve("jqmp-management.sock")});
            if (baseline != null) {
                processes.add(ServerProcess.start(baselineName, baseline, baselineJvmFlags, dir.resolve("base.sock"), null));
                targets.put("base", new String[] {"unix:" + dir.resolve("base.sock"), ""});
            }
            if (qemuPattern != null) {
                targets.put("qemu", new String[] {qemuPattern, ""});
            }
            List<String> servers = new ArrayList<>(targets.keySet());
            for (int r = 1; r <= rounds; r++) {
                loadDuringRounds.add(loadAverage());
                say("round " + r + " of " + rounds + ", load average " + loadAverage());
                for (String load : ROUND_LOADS) {
                    for (int k = 0; k < servers.size(); k++) {
                        String server = servers.get((k + r - 1) % servers.size());
                        String[] t = targets.get(server);
                        run(new Case(roundKey(r, server, load), OobLatency.class, roundParams(load, t[0], t[1])));
                    }
                }
            }
        } finally {
            for (ServerProcess p : processes) {
                p.close();
            }
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    static String roundKey(int round, String server, String load) {
        return "round/" + round + "/" + server + "/" + load;
    }

    /** OobLatency's parameters for one of {@link #ROUND_LOADS} against an external target. */
    static Map<String, String> roundParams(String load, String target, String probeTarget) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("target", target);
        p.put("probeTarget", probeTarget);
        p.put("mode", "oob");
        switch (load) {
            case "idle", "blocked" -> p.put("load", load);
            case "light" -> {
                p.put("load", "saturated");
                p.put("loaders", "16");
                p.put("loadCommand", "query-status");
            }
            case "heavy" -> {
                p.put("load", "saturated");
                p.put("loaders", "4");
                p.put("loadCommand", "query-qmp-schema");
            }
            default -> throw new IllegalArgumentException(load);
        }
        return p;
    }

    private void runLatency() {
        List<String> loaderCounts = quick ? List.of("16") : List.of("1", "4", "16");
        for (String transport : quick ? List.of("unix") : List.of("unix", "tcp")) {
            run(new Case("echo/" + transport, EchoFloor.class, Map.of("transport", transport)));
        }
        for (String threads : quick ? List.<String>of() : List.of("virtual", "handoff", "relay")) {
            run(new Case("echo/unix/" + threads, EchoFloor.class, Map.of("transport", "unix", "threads", threads)));
        }
        List<String> idles = quick ? List.of("park") : List.of("park", "backoff", "spin");
        List<String> transports = quick ? List.of("unix") : List.of("unix", "tcp");
        for (String transport : transports) {
            for (String idle : idles) {
                runOobLoads("jqmp", "embedded", transport, idle, "oob", loaderCounts, true);
            }
        }
        runOobLoads("jqmp", "embedded", "unix", "park", "inband", loaderCounts, false);
        if (qemuPattern != null) {
            runOobLoads("qemu", qemuPattern, "unix", "park", "oob", loaderCounts, true);
            runOobLoads("qemu", qemuPattern, "unix", "park", "inband", quick ? List.of("16") : List.of("16"), false);
        }
    }

    private void runOobLoads(String server, String target, String transport, String idle, String mode,
                             List<String> loaderCounts, boolean withBlocked) {
        List<String> loads = new ArrayList<>(List.of("idle"));
        if (withBlocked) {
            loads.add("blocked");
        }
        loads.add("saturated");
        for (String load : loads) {
            List<String> counts = load.equals("saturated") ? loaderCounts : List.of("0");
            for (String n : counts) {
                Map<String, String> p = new LinkedHashMap<>();
                p.put("target", target);
                p.put("transport", transport);
                p.put("idle", idle);
                p.put("mode", mode);
                p.put("load", load);
                p.put("loaders", n.equals("0") ? "1" : n);
                run(new Case(latencyKey(server, transport, idle, mode, load, n), OobLatency.class, p));
            }
        }
    }

    static String latencyKey(String server, String transport, String idle, String mode, String load, String loaders) {
        return "oob/" + server + "/" + transport + "/" + idle + "/" + mode + "/" + load
                + (load.equals("saturated") ? "/" + loaders : "");
    }

    private void runThroughput() {
        List<String> shapes = quick ? List.of("8x8") : List.of("1x1", "1x8", "8x8", "64x8");
        for (String shape : shapes) {
            run(new Case("thr/jqmp/" + shape, InbandThroughput.class,
                    Map.of("target", "embedded", "shape", shape, "transport", "unix")));
            if (qemuPattern != null) {
                run(new Case("thr/qemu/" + shape, InbandThroughput.class,
                        Map.of("target", qemuPattern, "shape", shape)));
            }
        }
    }

    private void runMicro() {
        if (quick) {
            return;
        }
        for (String queue : List.of("monitor", "abq", "ltq")) {
            for (String idle : List.of("park", "backoff", "spin")) {
                run(new Case("queue/" + queue + "/" + idle, QueueHandoff.class, Map.of("queue", queue, "idle", idle)));
            }
        }
        for (String size : List.of("realistic", "answer", "large")) {
            for (String feeding : List.of("whole", "byte")) {
                run(new Case("framing/" + size + "/" + feeding, Framing.class, Map.of("size", size, "feeding", feeding)));
            }
        }
    }

    private void run(Case c) {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(Pattern.quote(c.bench().getName() + "."))
                .warmupIterations(quick ? 1 : 2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 3 : 5).measurementTime(TimeValue.seconds(1))
                .forks(1)
                .timeout(TimeValue.seconds(60))
                .shouldFailOnError(true)
                .output(logFile.toString());
        c.params().forEach(o::param);
        long t0 = System.nanoTime();
        try {
            var results = new Runner(o.build()).run();
            if (results.size() != 1) {
                throw new RunnerException("expected one result, got " + results.size());
            }
            outcomes.put(c.key(), new Outcome(c, Measured.of(results.iterator().next()), null));
            say(String.format(Locale.ROOT, "%-44s %6.1f s", c.key(), (System.nanoTime() - t0) / 1e9));
        } catch (RunnerException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            outcomes.put(c.key(), new Outcome(c, null, why));
            say(c.key() + " FAILED: " + why + " (details in " + logFile + ")");
        }
        try {
            save(); // after every case, so an interrupted run can still be written up with --rewrite
        } catch (IOException e) {
            say("cannot save results: " + e);
        }
    }

    private static void say(String s) {
        System.out.println("bench: " + s);
    }

    // ------------------------------------------------------------------ access for the writer

    boolean quick() {
        return quick;
    }

    Path out() {
        return out;
    }

    String qemuVersion() {
        return qemuVersion;
    }

    String qemuNote() {
        return qemuNote;
    }

    boolean hasQemu() {
        return qemuNote == null;
    }

    String date() {
        return date;
    }

    String loadAtStart() {
        return loadAtStart;
    }

    Map<String, Outcome> outcomes() {
        return outcomes;
    }

    int rounds() {
        return rounds;
    }

    String baseline() {
        return baseline;
    }

    String baselineName() {
        return baselineName;
    }

    List<String> serverJvmFlags() {
        return serverJvmFlags;
    }

    List<String> baselineJvmFlags() {
        return baselineJvmFlags;
    }

    List<String> loadDuringRounds() {
        return loadDuringRounds;
    }

    /** The primary sample distribution of a SampleTime result, in nanoseconds. */
    static Histogram histogram(Measured m) {
        double toNanos = switch (m.unit()) {
            case "us/op" -> 1_000;
            case "ms/op" -> 1_000_000;
            case "ns/op" -> 1;
            default -> throw new IllegalArgumentException("not a latency unit: " + m.unit());
        };
        Histogram h = new Histogram(3);
        for (Sample s : m.samples()) {
            h.recordValueWithCount(Math.max(1, Math.round(s.value() * toNanos)), s.count());
        }
        return h;
    }

    /** A secondary (aux counter) score, or NaN when absent. */
    static double secondary(Measured m, String name) {
        Double score = m.secondary().get(name);
        return score == null ? Double.NaN : score;
    }

    static String machineCpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String now() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }
}
