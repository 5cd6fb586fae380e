package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Options of one stress run, as given on the command line. Immutable.
 *
 * @param scenario the scenario name
 * @param duration total time the scenario may take (shares of it for {@code all})
 * @param seed seed of every random choice, for reruns
 * @param report where to write the JSON report (the Markdown one goes next to it), or null
 * @param target an external server to hit, or null to start one in-process
 * @param clients well-behaved flooding clients ({@code flood}, {@code hostile})
 * @param connections connections to hold ({@code connections})
 * @param progressToTerminal true to redraw one progress line with CR every second, false to print a line every 5 s
 */
public record StressOptions(String scenario, Duration duration, long seed, Path report, Endpoint target,
        int clients, int connections, boolean progressToTerminal) {

    /** Defaults: 60 s, seed 1, 16 clients, 10,000 connections. */
    public static StressOptions defaults(String scenario) {
        return new StressOptions(scenario, Duration.ofSeconds(60), 1, null, null, 16, 10_000, false);
    }

    /** A copy with another duration. */
    public StressOptions withDuration(Duration d) {
        return new StressOptions(scenario, d, seed, report, target, clients, connections, progressToTerminal);
    }

    /** A copy with another scenario name. */
    public StressOptions withScenario(String s) {
        return new StressOptions(s, duration, seed, report, target, clients, connections, progressToTerminal);
    }
}
