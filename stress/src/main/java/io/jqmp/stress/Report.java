package io.jqmp.stress;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole run's results and its three renderings: the summary table for the terminal, the JSON
 * report for machines and the Markdown report for people. Immutable once built; any thread.
 */
public final class Report {
    /** Jackson Jr with two-space indents, {@code "key": value}, one array element per line. */
    private static final JSON REPORT_JSON = JSON.std.with(JSON.Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER)
            .with(new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("").withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private final StressOptions options;
    private final Instant started;
    private final List<ScenarioResult> results;
    private final Map<String, Object> environment;

    Report(StressOptions options, Instant started, List<ScenarioResult> results, Map<String, Object> environment) {
        this.options = options;
        this.started = started;
        this.results = List.copyOf(results);
        this.environment = environment;
    }

    /** True when every scenario ran and every invariant held. */
    public boolean passed() {
        return !results.isEmpty() && results.stream().allMatch(ScenarioResult::passed);
    }

    /** The scenarios' results in run order. */
    public List<ScenarioResult> results() {
        return results;
    }

    /** Facts about the machine and JVM the run had. */
    static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("max heap MiB", Stress.mib(Runtime.getRuntime().maxMemory()));
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        env.put("open-file limit", FileLimit.soft());
        env.put("gc", ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList());
        return env;
    }

    /** The JSON report. */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("scenario", options.scenario());
        root.put("pass", passed());
        root.put("started", started.toString());
        root.put("duration seconds", options.duration().toSeconds());
        root.put("seed", options.seed());
        root.put("environment", environment);
        List<Object> list = new ArrayList<>();
        for (ScenarioResult r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("description", r.description());
            m.put("pass", r.passed());
            m.put("seconds", Math.round(r.seconds() * 10) / 10.0);
            m.put("metrics", r.metrics());
            Map<String, Object> lat = new LinkedHashMap<>();
            r.latencies().forEach((k, v) -> {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("count", v.count());
                l.put("p50 us", v.p50());
                l.put("p90 us", v.p90());
                l.put("p99 us", v.p99());
                l.put("p99.9 us", v.p999());
                l.put("max us", v.max());
                lat.put(k, l);
            });
            m.put("latencies", lat);
            m.put("invariants", r.invariants());
            m.put("notes", r.notes());
            list.add(m);
        }
        root.put("results", list);
        try {
            return REPORT_JSON.asString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report as JSON", e);
        }
    }

    /** The summary table printed at the end of a run. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-12s %-6s %8s  %s%n", "scenario", "result", "seconds", "invariant"));
        for (ScenarioResult r : results) {
            boolean first = true;
            for (ScenarioResult.Invariant i : r.invariants()) {
                sb.append(String.format("%-12s %-6s %8s  %s %s%n", first ? r.name() : "",
                        first ? (r.passed() ? "PASS" : "FAIL") : "", first ? String.format("%.1f", r.seconds()) : "",
                        i.held() ? "ok  " : "FAIL", i.name()));
                first = false;
            }
            if (first) {
                sb.append(String.format("%-12s %-6s %8.1f  (no invariant checked)%n", r.name(), "FAIL", r.seconds()));
            }
            for (Map.Entry<String, ScenarioResult.Latency> e : r.latencies().entrySet()) {
                ScenarioResult.Latency l = e.getValue();
                sb.append(String.format("%-12s %-6s %8s  %s: n=%,d p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                        "", "", "", e.getKey(), l.count(), l.p50(), l.p99(), l.p999(), l.max()));
            }
        }
        List<String> failed = new ArrayList<>();
        for (ScenarioResult r : results) {
            for (ScenarioResult.Invariant i : r.invariants()) {
                if (!i.held()) {
                    failed.add(r.name() + ": " + i.name() + ": " + i.detail());
                }
            }
        }
        if (failed.isEmpty()) {
            sb.append(passed() ? "every invariant held\n" : "FAILED: no invariant was checked\n");
        } else {
            sb.append("FAILED invariants:\n");
            failed.forEach(f -> sb.append("  ").append(f).append('\n'));
        }
        return sb.toString();
    }

    /** The Markdown report. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# jqmp stress: ").append(options.scenario()).append(" — ").append(passed() ? "PASS" : "FAIL").append("\n\n");
        sb.append("Started ").append(started).append(", duration ").append(options.duration().toSeconds())
                .append(" s, seed ").append(options.seed()).append(".\n\n");
        sb.append("| environment | |\n|---|---|\n");
        environment.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
        for (ScenarioResult r : results) {
            sb.append("\n## ").append(r.name()).append(" — ").append(r.passed() ? "PASS" : "FAIL").append("\n\n");
            sb.append(r.description()).append(String.format(" (%.1f s)%n%n", r.seconds()));
            sb.append("| invariant | held | detail |\n|---|---|---|\n");
            for (ScenarioResult.Invariant i : r.invariants()) {
                sb.append("| ").append(cell(i.name())).append(" | ").append(i.held() ? "yes" : "**NO**").append(" | ")
                        .append(cell(i.detail())).append(" |\n");
            }
            if (!r.latencies().isEmpty()) {
                sb.append("\n| latency (µs) | count | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|\n");
                r.latencies().forEach((k, l) -> sb.append(String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                        cell(k), l.count(), l.p50(), l.p90(), l.p99(), l.p999(), l.max())));
            }
            sb.append("\n| measurement | value |\n|---|---|\n");
            r.metrics().forEach((k, v) -> sb.append("| ").append(cell(k)).append(" | ").append(cell(v)).append(" |\n"));
            if (!r.notes().isEmpty()) {
                sb.append('\n');
                r.notes().forEach(n -> sb.append("- ").append(n).append('\n'));
            }
        }
        return sb.toString();
    }

    private static String cell(Object v) {
        String s = v instanceof Long || v instanceof Integer ? String.format("%,d", ((Number) v).longValue()) : String.valueOf(v);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '|') {
                sb.append("\\|");
            } else if (c < 0x20) {
                sb.append(String.format("\\x%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Writes FILE.json and FILE.md (the JSON path's name with {@code .md} instead of {@code .json}). */
    public Path[] write(Path json) throws IOException {
        Path abs = json.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        String name = abs.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        Path md = abs.resolveSibling(base + ".md");
        Files.writeString(abs, toJson(), StandardCharsets.UTF_8);
        Files.writeString(md, toMarkdown(), StandardCharsets.UTF_8);
        return new Path[] {abs, md};
    }
}
