package io.jqmp.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Attributes out-of-band round trips to stages, from one JFR recording of a client and a jqmp
 * server in the same JVM: each {@code io.jqmp.bench.Probe} (the client's round trip) is joined
 * with the server's {@code io.jqmp.Command} for the same out-of-band request id that lies within
 * it, which splits the round trip into
 *
 * <pre>
 * inbound   client writes, kernel, reader virtual thread wakes up, reads and parses (probe start to command start)
 * routing, queueing, execution, output queueing, writing   the command's own stages
 * outbound  kernel, client wakes up and reads (command end to probe end; negative when the client
 *           had the answer before the writer thread returned from writing it)
 * </pre>
 *
 * The probes at or above the 99th and 99.9th percentile are averaged stage by stage, and checked
 * against the JVM's own pauses (GC pauses, safepoints) recorded alongside.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.jqmp.benchmarks.StageBreakdown FILE.jfr [FILE.jfr ...]}
 * prints Markdown tables per file (one per phase the probes name). Single-threaded.
 */
public final class StageBreakdown {
    static final List<String> STAGES = List.of("inbound", "routing", "queueing", "execution", "outputQueueing",
            "writing", "outbound");
    static final List<String> STAGE_LABELS = List.of("inbound", "routing", "queueing", "execution",
            "output queueing", "writing", "outbound");

    /** One probe joined with its command: round trip and stage times in nanoseconds. */
    record Sample(String phase, Instant start, Instant end, long roundTrip, long[] stages) {
    }

    /** A pause of the whole JVM: a GC pause or a safepoint. */
    record Pause(Instant start, Instant end) {
    }

    /** Everything read from one recording. */
    record Result(List<Sample> samples, int unmatched, List<Pause> gcPauses, List<Pause> safepoints,
            long submitFailed, long pinned, Duration recorded) {
    }

    private StageBreakdown() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: StageBreakdown FILE.jfr [FILE.jfr ...]");
            System.exit(2);
        }
        for (String a : args) {
            System.out.println("### " + a);
            System.out.println();
            System.out.print(markdown(read(Path.of(a))));
            System.out.println();
        }
    }

    /** Reads a recording and joins probes with commands. */
    static Result read(Path file) throws IOException {
        List<RecordedEvent> probes = new ArrayList<>();
        Map<String, List<RecordedEvent>> commands = new HashMap<>();
        List<Pause> gc = new ArrayList<>();
        Map<Long, Instant> safepointStarts = new HashMap<>();
        List<Pause> safepoints = new ArrayList<>();
        long submitFailed = 0;
        long pinned = 0;
        Instant first = null;
        Instant last = null;
        try (RecordingFile f = new RecordingFile(file)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                switch (e.getEventType().getName()) {
                    case ProbeEvent.NAME -> {
                        probes.add(e);
                        first = first == null || e.getStartTime().isBefore(first) ? e.getStartTime() : first;
                        last = last == null || e.getEndTime().isAfter(last) ? e.getEndTime() : last;
                    }
                    case "io.jqmp.Command" -> {
                        if (e.getBoolean("outOfBand") && e.getString("requestId") != null) {
                            commands.computeIfAbsent(e.getString("requestId"), k -> new ArrayList<>()).add(e);
                        }
                    }
                    case "jdk.GCPhasePause" -> gc.add(new Pause(e.getStartTime(), e.getEndTime()));
                    case "jdk.SafepointBegin" -> safepointStarts.put(e.getLong("safepointId"), e.getStartTime());
                    case "jdk.SafepointEnd" -> {
                        Instant s = safepointStarts.remove(e.getLong("safepointId"));
                        if (s != null) {
                            safepoints.add(new Pause(s, e.getEndTime()));
                        }
                    }
                    case "jdk.VirtualThreadSubmitFailed" -> submitFailed++;
                    case "jdk.VirtualThreadPinned" -> pinned++;
                    default -> { }
                }
            }
        }
        List<Sample> samples = new ArrayList<>();
        int unmatched = 0;
        for (RecordedEvent p : probes) {
            RecordedEvent c = within(p, commands.get(p.getString("requestId")));
            if (c == null) {
                unmatched++;
                continue;
            }
            long[] s = new long[STAGES.size()];
            s[0] = nanos(p.getStartTime(), c.getStartTime());
            s[1] = c.getDuration("routing").toNanos();
            s[2] = c.getDuration("queueing").toNanos();
            s[3] = c.getDuration("execution").toNanos();
            s[4] = c.getDuration("outputQueueing").toNanos();
            s[5] = c.getDuration("writing").toNanos();
            s[6] = nanos(c.getEndTime(), p.getEndTime());
            String phase = p.hasField("phase") && p.getString("phase") != null ? p.getString("phase") : "all";
            samples.add(new Sample(phase, p.getStartTime(), p.getEndTime(), nanos(p.getStartTime(), p.getEndTime()), s));
        }
        gc.sort(Comparator.comparing(Pause::start));
        safepoints.sort(Comparator.comparing(Pause::start));
        Duration recorded = first == null ? Duration.ZERO : Duration.between(first, last);
        return new Result(samples, unmatched, gc, safepoints, submitFailed, pinned, recorded);
    }

    /**
     * The command of {@code candidates} that began within the probe (ids repeat across
     * connections). Its end may be after the probe's: the client can read the answer before the
     * writer thread returns from the write that sent it.
     */
    private static RecordedEvent within(RecordedEvent probe, List<RecordedEvent> candidates) {
        if (candidates == null) {
            return null;
        }
        for (RecordedEvent c : candidates) {
            if (!c.getStartTime().isBefore(probe.getStartTime()) && !c.getStartTime().isAfter(probe.getEndTime())) {
                return c;
            }
        }
        return null;
    }

    private static long nanos(Instant a, Instant b) {
        return Duration.between(a, b).toNanos();
    }

    /** The probes whose round trip is at or above {@code percentile}. */
    static List<Sample> tail(List<Sample> samples, double percentile) {
        if (samples.isEmpty()) {
            return samples;
        }
        List<Sample> sorted = new ArrayList<>(samples);
        sorted.sort(Comparator.comparingLong(Sample::roundTrip));
        int from = (int) Math.min(sorted.size() - 1, Math.floor(sorted.size() * percentile / 100.0));
        return sorted.subList(from, sorted.size());
    }

    /** The round trip at {@code percentile}, in nanoseconds. */
    static long percentile(List<Sample> samples, double percentile) {
        List<Sample> t = tail(samples, percentile);
        return t.isEmpty() ? 0 : t.get(0).roundTrip();
    }

    /** The share of {@code samples} that overlap one of {@code pauses} (sorted by start). */
    static double overlapping(List<Sample> samples, List<Pause> pauses) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        int n = 0;
        for (Sample s : samples) {
            for (Pause p : pauses) {
                if (p.start().isAfter(s.end())) {
                    break;
                }
                if (!p.end().isBefore(s.start())) {
                    n++;
                    break;
                }
            }
        }
        return (double) n / samples.size();
    }

    /** One table per phase (in the order of their first probe), then the JVM's pauses. */
    static String markdown(Result r) {
        Map<String, List<Sample>> phases = new java.util.LinkedHashMap<>();
        for (Sample s : r.samples()) {
            phases.computeIfAbsent(s.phase(), k -> new ArrayList<>()).add(s);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d probes joined with their commands (%d not matched) over %.1f s.%n",
                r.samples().size(), r.unmatched(), r.recorded().toMillis() / 1000.0));
        phases.forEach((phase, samples) -> sb.append('\n').append(table(phase, samples, r)));
        sb.append(String.format(Locale.ROOT, "%nMean µs per stage (share of the round trip). JVM pauses during the"
                        + " recording: %d GC pauses (total %s ms, longest %s ms), %d safepoints (total %s ms, longest %s ms);"
                        + " virtual-thread submits failed: %d; pinned virtual threads: %d.%n",
                r.gcPauses().size(), ms(total(r.gcPauses())), ms(longest(r.gcPauses())), r.safepoints().size(),
                ms(total(r.safepoints())), ms(longest(r.safepoints())), r.submitFailed(), r.pinned()));
        return sb.toString();
    }

    /** The round-trip percentiles of one phase, then the mean of each stage over all, the p99 tail and the p99.9 tail. */
    static String table(String phase, List<Sample> all, Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: %d probes, round trip p50 %s, p99 %s, p99.9 %s µs.%n%n", phase,
                all.size(), us(percentile(all, 50)), us(percentile(all, 99)), us(percentile(all, 99.9))));
        sb.append("| probes | n | round trip | ");
        STAGE_LABELS.forEach(l -> sb.append(l).append(" | "));
        sb.append("in a GC pause | in a safepoint |\n|---|---:|---:|");
        STAGES.forEach(l -> sb.append("---:|"));
        sb.append("---:|---:|\n");
        row(sb, "all", all, r);
        row(sb, "slowest 1 % (>= p99)", tail(all, 99), r);
        row(sb, "slowest 0.1 % (>= p99.9)", tail(all, 99.9), r);
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, List<Sample> set, Result r) {
        sb.append("| ").append(name).append(" | ").append(set.size()).append(" | ");
        if (set.isEmpty()) {
            sb.append("n/a |".repeat(STAGES.size() + 3)).append('\n');
            return;
        }
        double rtt = set.stream().mapToLong(Sample::roundTrip).average().orElse(0);
        sb.append(us((long) rtt)).append(" | ");
        for (int i = 0; i < STAGES.size(); i++) {
            final int k = i;
            double mean = set.stream().mapToLong(s -> s.stages()[k]).average().orElse(0);
            sb.append(us((long) mean)).append(String.format(Locale.ROOT, " (%.0f %%)", 100 * mean / rtt)).append(" | ");
        }
        sb.append(String.format(Locale.ROOT, "%.0f %% | %.0f %% |%n", 100 * overlapping(set, r.gcPauses()),
                100 * overlapping(set, r.safepoints())));
    }

    private static long total(List<Pause> pauses) {
        return pauses.stream().mapToLong(p -> nanos(p.start(), p.end())).sum();
    }

    private static long longest(List<Pause> pauses) {
        return pauses.stream().mapToLong(p -> nanos(p.start(), p.end())).max().orElse(0);
    }

    static String us(long nanos) {
        double us = nanos / 1000.0;
        return us >= 100 ? String.format(Locale.ROOT, "%,.0f", us) : String.format(Locale.ROOT, "%.1f", us);
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
