package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code jqmp stress SCENARIO [--duration 60s] [--seed N] [--report FILE.json] [--target unix:PATH]
 * [--clients N] [--connections N] [--verbose]}: runs a scenario (or {@code all}), shows progress,
 * prints a summary table, writes the reports and exits 0 only if every invariant held.
 *
 * <p>Threading: {@link #run} runs the scenarios one after another on the calling thread.
 */
public final class StressMain {
    /** Shares of the duration that {@code all} gives each scenario, in run order. */
    static final Map<String, Double> ALL_SHARES = Map.of("flood", 0.25, "hostile", 0.35, "connections", 0.2, "postcopy", 0.2);

    // Held so the level set on it is not lost when the logger is collected.
    private static final Logger JQMP_LOG = Logger.getLogger("io.jqmp");

    private StressMain() {
    }

    /** Command-line entry point; exits 0 (all held), 1 (an invariant failed) or 2 (usage or setup error). */
    public static void main(String[] args) {
        StressOptions o;
        boolean verbose;
        try {
            List<String> rest = new ArrayList<>(List.of(args));
            verbose = rest.remove("--verbose");
            o = parse(rest, System.console() != null);
        } catch (IllegalArgumentException e) {
            System.err.println("jqmp stress: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(usage());
            return;
        }
        if (!verbose) {
            // Hostile clients make the server log a warning per bad connection; the report counts them.
            JQMP_LOG.setLevel(Level.SEVERE);
        }
        try {
            Report report = run(o, System.out);
            System.exit(report.passed() ? 0 : 1);
        } catch (Exception e) {
            System.err.println("jqmp stress: the run failed: " + e);
            e.printStackTrace();
            System.exit(2);
        }
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: jqmp stress SCENARIO [--duration 60s] [--seed N] [--report FILE.json]\n"
                + "                   [--target unix:PATH|tcp:HOST:PORT] [--clients 16] [--connections 10000] [--verbose]\n"
                + "scenarios:\n");
        Scenarios.all().forEach((n, s) -> sb.append(String.format("  %-12s %s%n", n, s.get().description())));
        sb.append(String.format("  %-12s %s%n", "all", "each of the above for a share of the duration"));
        Scenarios.alone().forEach((n, s) -> sb.append(String.format("  %-12s %s (not in all)%n", n, s.get().description())));
        return sb.toString();
    }

    /** Parses the arguments; null means help was asked for. */
    static StressOptions parse(List<String> args, boolean terminal) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            return null;
        }
        String scenario = args.get(0);
        if (!scenario.equals("all") && Scenarios.create(scenario) == null) {
            throw new IllegalArgumentException("unknown scenario '" + scenario + "'");
        }
        StressOptions d = StressOptions.defaults(scenario);
        Duration duration = d.duration();
        long seed = d.seed();
        Path report = null;
        Endpoint target = null;
        int clients = d.clients();
        int connections = d.connections();
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException("missing value after " + a);
            }
            String v = args.get(++i);
            switch (a) {
                case "--duration" -> duration = parseDuration(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--report" -> report = Path.of(v);
                case "--target" -> target = parseEndpoint(v);
                case "--clients" -> clients = positive(a, v);
                case "--connections" -> connections = positive(a, v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new StressOptions(scenario, duration, seed, report, target, clients, connections, terminal);
    }

    private static int positive(String option, String v) {
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1");
        }
        return n;
    }

    /** {@code unix:PATH} or {@code tcp:HOST:PORT}. */
    static Endpoint parseEndpoint(String v) {
        if (v.startsWith("unix:") && v.length() > 5) {
            return new Endpoint.Unix(Path.of(v.substring(5)));
        }
        int colon = v.lastIndexOf(':');
        if (v.startsWith("tcp:") && colon > 4) {
            return new Endpoint.Tcp(v.substring(4, colon), Integer.parseInt(v.substring(colon + 1)));
        }
        throw new IllegalArgumentException("bad target '" + v + "' (unix:PATH or tcp:HOST:PORT)");
    }

    /** {@code 60s}, {@code 2m}, {@code 500ms} or a plain number of seconds. */
    static Duration parseDuration(String v) {
        try {
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(v));
            }
            if (d.toMillis() < 1000) {
                throw new IllegalArgumentException("--duration must be at least 1s");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + v + "' (e.g. 60s, 2m)");
        }
    }

    /**
     * Runs the scenario (each of them in turn for {@code all}), prints progress and the summary to
     * {@code out}, writes the reports when asked, and returns the report.
     */
    public static Report run(StressOptions o, PrintStream out) throws Exception {
        Instant started = Instant.now();
        List<String> names = o.scenario().equals("all") ? List.copyOf(Scenarios.all().keySet()) : List.of(o.scenario());
        List<ScenarioResult> results = new ArrayList<>();
        try (Progress progress = new Progress(out, o.progressToTerminal())) {
            for (String name : names) {
                Duration share = names.size() == 1 ? o.duration()
                        : Duration.ofMillis(Math.round(o.duration().toMillis() * ALL_SHARES.get(name)));
                StressOptions so = o.withScenario(name).withDuration(share);
                Path dir = Files.createTempDirectory("jqmp-stress");
                long start = System.nanoTime();
                ScenarioResult r;
                try {
                    r = Scenarios.create(name).run(new ScenarioContext(so, start + share.toNanos(), dir, progress));
                } catch (Exception e) {
                    r = new ScenarioResult(name, Scenarios.create(name).description());
                    r.invariant("the scenario ran to its end", false, "it failed: " + e);
                } finally {
                    deleteTree(dir);
                }
                r.seconds((System.nanoTime() - start) / 1e9);
                results.add(r);
            }
        }
        Report report = new Report(o, started, results, Report.environment());
        out.println();
        out.print(report.summary());
        if (o.report() != null) {
            Path[] written = report.write(o.report());
            out.println("reports: " + written[0] + " and " + written[1]);
        }
        out.flush();
        return report;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
