package io.jqmp.stress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.AbstractHistogram;

/**
 * The outcome of one scenario: named measurements, latency percentiles, invariants (each held or
 * not, with a detail) and free-text notes, all in insertion order for the reports.
 *
 * <p>Threading: every method is synchronized, so any thread of a scenario may record; none blocks.
 */
public final class ScenarioResult {
    /** One invariant and whether it held; {@code detail} says what was seen. */
    public record Invariant(String name, boolean held, String detail) {
    }

    /**
     * Latency percentiles in microseconds.
     *
     * @param count samples
     */
    public record Latency(long count, double p50, double p90, double p99, double p999, double max) {
        /** Percentiles of a histogram recorded in nanoseconds. */
        public static Latency ofNanos(AbstractHistogram h) {
            return new Latency(h.getTotalCount(), us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                    us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()));
        }

        private static double us(long nanos) {
            return Math.round(nanos / 100.0) / 10.0;
        }
    }

    private final String name;
    private final String description;
    private double seconds;
    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private final Map<String, Latency> latencies = new LinkedHashMap<>();
    private final List<Invariant> invariants = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** An empty result of scenario {@code name}. */
    public ScenarioResult(String name, String description) {
        this.name = name;
        this.description = description;
    }

    /** Records a measurement (a number or a short text). */
    public synchronized ScenarioResult metric(String key, Object value) {
        metrics.put(key, value);
        return this;
    }

    /** Records the percentiles of a histogram of nanoseconds. */
    public synchronized ScenarioResult latency(String key, AbstractHistogram nanos) {
        latencies.put(key, Latency.ofNanos(nanos));
        return this;
    }

    /** Records an invariant's outcome. */
    public synchronized ScenarioResult invariant(String invariant, boolean held, String detail) {
        invariants.add(new Invariant(invariant, held, detail));
        return this;
    }

    /** Adds a note for people (a warning, a fallback taken, a target compared). */
    public synchronized ScenarioResult note(String note) {
        notes.add(note);
        return this;
    }

    synchronized void seconds(double s) {
        seconds = s;
    }

    /** The scenario's name. */
    public String name() {
        return name;
    }

    /** What the scenario does. */
    public String description() {
        return description;
    }

    /** Wall-clock seconds the scenario took. */
    public synchronized double seconds() {
        return seconds;
    }

    /** True when at least one invariant was checked and all held. */
    public synchronized boolean passed() {
        return !invariants.isEmpty() && invariants.stream().allMatch(Invariant::held);
    }

    /** A copy of the measurements. */
    public synchronized Map<String, Object> metrics() {
        return new LinkedHashMap<>(metrics);
    }

    /** A copy of the latencies. */
    public synchronized Map<String, Latency> latencies() {
        return new LinkedHashMap<>(latencies);
    }

    /** A copy of the invariants. */
    public synchronized List<Invariant> invariants() {
        return new ArrayList<>(invariants);
    }

    /** A copy of the notes. */
    public synchronized List<String> notes() {
        return new ArrayList<>(notes);
    }
}
