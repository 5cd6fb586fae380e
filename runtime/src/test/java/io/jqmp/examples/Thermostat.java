package io.jqmp.examples;

import io.jqmp.protocol.QmpException;
import io.jqmp.schema.Declaration;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/** A program that embeds a QMP control plane (the example of docs/embedding.md). */
public final class Thermostat implements AutoCloseable {
    /** Arguments of set-target, mapped from {"celsius": ..., "reason": ...}. */
    public record SetTarget(double celsius, String reason) {
    }

    /** The result of query-temperature and the data of TARGET_CHANGED: {"celsius": ...}. */
    public record Temperature(double celsius) {
    }

    /** The result of query-heater: {"on": ..., "switch-count": ...}. */
    public record Heater(boolean on, long switchCount) {
    }

    // In-band state: read and written with the BQL held (by the main loop, or by measured()).
    private double measured = 19.5;
    private double target = 20.0;
    private boolean heating;
    private long switches;
    // Out-of-band state: any thread.
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final QmpServer server;

    public Thermostat(String endpoint) throws IOException {
        server = QmpServer.builder()
                .listen(endpoint)
                // Commands declared in a schema file, their handlers set by name.
                .schemaResource("io/jqmp/examples/thermostat.json")
                .handler("query-temperature", ctx -> new Temperature(measured))
                .handler("set-target", ctx -> {
                    SetTarget args = ctx.argumentsAs(SetTarget.class);
                    if (stopped.get()) {
                        throw new QmpException("the thermostat is stopped");
                    }
                    target = args.celsius();
                    ctx.server().events().emit("TARGET_CHANGED", new Temperature(target));
                    return null;
                })
                // allow-oob: runs on the monitor thread, even while the main loop is stuck.
                .handler("emergency-stop", ctx -> {
                    stopped.set(true);
                    return null;
                })
                // A command declared in Java together with its handler.
                .declare(Declaration.struct("Heater").member("on", "bool").member("switch-count", "int").build())
                .command(Declaration.command("query-heater").returns("Heater").build(),
                        ctx -> new Heater(heating, switches))
                .build()
                .start();
    }

    /** A sensor reading, from a thread of the program's own: takes the BQL that in-band handlers hold. */
    public void measured(double celsius) {
        ReentrantLock bql = server.bql();
        bql.lock();
        try {
            measured = celsius;
            boolean on = celsius < target && !stopped.get();
            if (on != heating) {
                heating = on;
                switches++;
            }
        } finally {
            bql.unlock();
        }
    }

    public QmpServer server() {
        return server;
    }

    /** Stops listening, removes the socket file, disconnects clients, stops the threads. */
    @Override
    public void close() {
        server.close();
    }

    /** Serves until the process is told to stop (Ctrl-C, SIGTERM), then closes cleanly. */
    public static void main(String[] args) throws Exception {
        Thermostat thermostat = new Thermostat(args.length > 0 ? args[0] : "unix:thermostat.sock");
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            thermostat.close();
            closed.countDown();
        }, "thermostat-shutdown"));
        System.out.println("thermostat listening on " + thermostat.server().endpoints().get(0));
        closed.await();
    }
}
