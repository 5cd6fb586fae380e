package io.jqmp.stress;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpClientException;
import io.jqmp.server.Endpoint;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The server a scenario hits: one started in-process ({@link StressServer}) or an external one
 * given with {@code --target}. Threading: one owner thread; {@link #measure()} may be called from
 * any thread.
 */
final class Target implements AutoCloseable {
    private final Endpoint endpoint;
    private final StressServer local;

    private Target(Endpoint endpoint, StressServer local) {
        this.endpoint = endpoint;
        this.local = local;
    }

    /** The external target of the options, or a new in-process server in the context's directory. */
    static Target open(ScenarioContext ctx, int maxConnections, long maxOutputBacklog) throws IOException {
        if (ctx.options().target() != null) {
            return new Target(ctx.options().target(), null);
        }
        StressServer s = StressServer.start(ctx.workDir(), maxConnections, maxOutputBacklog);
        return new Target(s.endpoint(), s);
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** The in-process server's management socket (platform threads), or null for an external target. */
    Endpoint management() {
        return local == null ? null : local.management();
    }

    /** The in-process server, or null for an external target. */
    QmpServer server() {
        return local == null ? null : local.server();
    }

    /** Where the scenario's traffic goes, for the reports. */
    String describe() {
        return local == null ? "external " + endpoint : "in-process jqmp on " + endpoint;
    }

    /**
     * Asks the server for {@code stress-heap} over a fresh connection: heap after GC, platform
     * threads, connections. Null if the server does not have the command, or does not negotiate
     * or answer within 30 s each (generous: a starved machine after a hostile phase).
     */
    Map<?, ?> measure() {
        try (QmpClient c = QmpClient.builder(endpoint).connectTimeout(Duration.ofSeconds(30))
                .commandTimeout(Duration.ofSeconds(30)).connect()) {
            return c.call(StressServer.HEAP, null) instanceof Map<?, ?> r ? r : null;
        } catch (QmpClientException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A number of a {@link #measure()} answer, or -1. */
    static long number(Map<?, ?> m, String key) {
        return m != null && m.get(key) instanceof Long l ? l : -1;
    }

    @Override
    public void close() {
        if (local != null) {
            local.close();
        }
    }
}
