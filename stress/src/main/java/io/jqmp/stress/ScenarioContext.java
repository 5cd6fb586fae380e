package io.jqmp.stress;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What a running scenario gets from the runner: its options, its deadline, a scratch directory and
 * a way to show progress.
 *
 * <p>Threading: {@link #status(Supplier)} may be called from any thread; the supplier is called
 * on the progress thread, so it must only read thread-safe counters.
 */
public final class ScenarioContext {
    private final StressOptions options;
    private final long deadlineNanos;
    private final Path workDir;
    private final Progress progress;

    ScenarioContext(StressOptions options, long deadlineNanos, Path workDir, Progress progress) {
        this.options = options;
        this.deadlineNanos = deadlineNanos;
        this.workDir = workDir;
        this.progress = progress;
    }

    /** The run's options. */
    public StressOptions options() {
        return options;
    }

    /** {@link System#nanoTime()} at which the scenario should wind down. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Nanoseconds left until the deadline (negative once past it). */
    public long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    /** A private directory for sockets; deleted by the runner afterwards. */
    public Path workDir() {
        return workDir;
    }

    /** Sets what the progress line shows after the scenario's name (e.g. counters). */
    public void status(Supplier<String> status) {
        progress.status(options.scenario(), status);
    }
}
