package io.jqmp.stress;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The MIGRATION event orders a postcopy migration with failures and recoveries may show: each
 * status must be one the previous status may move to, starting from {@code none}, and the last
 * must be {@code completed}. Stateless; any thread.
 */
final class MigrationOrder {
    /** Source side: setup, precopy, postcopy, and any number of pause/recover rounds. */
    static final Map<String, Set<String>> SOURCE = Map.of(
            "none", Set.of("setup"),
            "setup", Set.of("active"),
            "active", Set.of("postcopy-active"),
            "postcopy-active", Set.of("postcopy-paused", "completed"),
            "postcopy-paused", Set.of("postcopy-recover"),
            // A failure during the recovery handshake pauses again.
            "postcopy-recover", Set.of("postcopy-active", "postcopy-paused"));

    /** Destination side: no setup status (it starts listening before the source connects). */
    static final Map<String, Set<String>> DESTINATION = Map.of(
            "none", Set.of("active"),
            "active", Set.of("postcopy-active"),
            "postcopy-active", Set.of("postcopy-paused", "completed"),
            "postcopy-paused", Set.of("postcopy-recover"),
            "postcopy-recover", Set.of("postcopy-active", "postcopy-paused"));

    private MigrationOrder() {
    }

    /**
     * Null when {@code statuses} is a valid complete sequence under {@code allowed}, otherwise
     * what is wrong with it.
     */
    static String check(Map<String, Set<String>> allowed, List<String> statuses) {
        String previous = "none";
        for (int i = 0; i < statuses.size(); i++) {
            String s = statuses.get(i);
            if (!allowed.getOrDefault(previous, Set.of()).contains(s)) {
                return "#" + i + " " + previous + " -> " + s + " is not allowed in " + statuses;
            }
            previous = s;
        }
        return previous.equals("completed") ? null : "ended in " + previous + ", not completed: " + statuses;
    }
}
