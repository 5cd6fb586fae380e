package io.jqmp.stress;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The scenarios by name. Adding one is one line here (and a share in {@code StressMain.ALL_SHARES}). Immutable; any thread.
 */
public final class Scenarios {
    private static final Map<String, Supplier<Scenario>> ALL = new LinkedHashMap<>();
    /** Scenarios that {@code all} leaves out: they start their own JVM and load the machine on purpose. */
    private static final Map<String, Supplier<Scenario>> ALONE = new LinkedHashMap<>();

    static {
        ALL.put("flood", FloodScenario::new);
        ALL.put("hostile", HostileScenario::new);
        ALL.put("connections", ConnectionsScenario::new);
        ALL.put("postcopy", PostcopyScenario::new);
        ALONE.put("memory", MemoryScenario::new);
    }

    private Scenarios() {
    }

    /** The single scenarios, in the order {@code all} runs them. */
    public static Map<String, Supplier<Scenario>> all() {
        return ALL;
    }

    /** The scenarios that run only when named ({@code memory}). */
    public static Map<String, Supplier<Scenario>> alone() {
        return ALONE;
    }

    /** A new instance of the named scenario, or null. */
    public static Scenario create(String name) {
        Supplier<Scenario> s = ALL.containsKey(name) ? ALL.get(name) : ALONE.get(name);
        return s == null ? null : s.get();
    }
}
