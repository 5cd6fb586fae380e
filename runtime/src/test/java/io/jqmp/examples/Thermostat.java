package io.jqmp.examples;

import io.jqmp.protocol.QmpException;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** A program that embeds a QMP control plane (the example of docs/embedding.md). */
public final class Thermostat implements AutoCloseable {
    /** Arguments of set-target, mapped from {"celsius": ..., "reason": ...}. */
    record SetTarget(double celsius, String reason) {
    }

    private double target = 20.0;                              // in-band state: main loop only
    private final AtomicBoolean stopped = new AtomicBoolean(); // OOB state: any thread
    private final QmpServer server;

    public Thermostat(String endpoint) throws IOException {
        server = QmpServer.builder()
                .listen(endpoint)
                .schemaResource("io/jqmp/examples/thermostat.json")
                .handler("query-temperature", ctx -> Map.of("celsius", target))
                .handler("set-target", ctx -> {
                    SetTarget args = ctx.argumentsAs(SetTarget.class);
                    if (stopped.get()) {
                        throw new QmpException("the thermostat is stopped");
                    }
                    target = args.celsius();
                    ctx.server().events().emit("TARGET_CHANGED", Map.of("celsius", target));
                    return null;
                })
                // allow-oob: runs on the monitor thread, even while the main loop is stuck.
                .handler("emergency-stop", ctx -> {
                    stopped.set(true);
                    return null;
                })
                .build()
                .start();
    }

    public QmpServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
