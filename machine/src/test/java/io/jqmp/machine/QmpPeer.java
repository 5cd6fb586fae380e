package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.client.QmpEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The machine tests' QMP client: a {@link QmpClient} with oob negotiated, the events it received
 * kept in order, and waits that fail after {@link #TIMEOUT}. Used by one test thread.
 */
final class QmpPeer implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final QmpClient client;
    private final LinkedBlockingQueue<QmpEvent> arriving;
    /** Every event taken from {@link #arriving} so far, in arrival order. */
    private final List<QmpEvent> seen = new ArrayList<>();
    private int migrationCursor;

    private QmpPeer(QmpClient client, LinkedBlockingQueue<QmpEvent> arriving) {
        this.client = client;
        this.arriving = arriving;
    }

    /** Connects to a Unix socket and negotiates with the oob capability. */
    static QmpPeer connect(Path socket) throws QmpConnectionException {
        LinkedBlockingQueue<QmpEvent> arriving = new LinkedBlockingQueue<>();
        QmpClient c = QmpClient.builder("unix:" + socket).oob(true).commandTimeout(TIMEOUT)
                .onEvent(e -> true, arriving::add).connect();
        return new QmpPeer(c, arriving);
    }

    /** Runs {@code command} in-band and returns its return value. */
    Object call(String command, Map<String, ?> arguments) throws Exception {
        return client.call(command, arguments);
    }

    /** Runs {@code command} out-of-band and returns its return value. */
    Object callOob(String command, Map<String, ?> arguments) throws Exception {
        return client.callOob(command, arguments);
    }

    /** Sends {@code command} in-band without waiting for its answer. */
    CompletableFuture<Object> execute(String command, Map<String, ?> arguments) {
        return client.execute(command, arguments);
    }

    /** Runs {@code command} in-band and checks that it returns {@code {}}. */
    void ok(String command, Map<String, ?> arguments) throws Exception {
        assertEquals(Map.of(), call(command, arguments), command + " " + arguments);
    }

    /** Runs {@code command} out-of-band and checks that it returns {@code {}}. */
    void okOob(String command, Map<String, ?> arguments) throws Exception {
        assertEquals(Map.of(), callOob(command, arguments), command + " " + arguments);
    }

    /** Runs {@code command} (out-of-band if {@code oob}) and checks that it fails with {@code desc}. */
    void fails(String errorClass, String desc, boolean oob, String command, Map<String, ?> arguments) {
        QmpErrorException e = assertThrows(QmpErrorException.class,
                () -> {
                    if (oob) {
                        client.callOob(command, arguments);
                    } else {
                        client.call(command, arguments);
                    }
                },
                command + " " + arguments);
        assertEquals(errorClass + ": " + desc, e.errorClass() + ": " + e.desc());
    }

    /** {@code query-status}'s {@code status}. */
    String status() throws Exception {
        return (String) ((Map<?, ?>) call("query-status", null)).get("status");
    }

    /** Takes the next arriving event into {@link #seen}; fails after the deadline. */
    private QmpEvent take(long deadlineNanos, String what) throws InterruptedException {
        long left = deadlineNanos - System.nanoTime();
        QmpEvent e = left > 0 ? arriving.poll(left, TimeUnit.NANOSECONDS) : null;
        if (e != null) {
            seen.add(e);
        }
        assertNotNull(e, () -> "no " + what + " within " + TIMEOUT + "; saw " + eventNames());
        return e;
    }

    /** Waits for an event called {@code name}, received before or after this call; returns it. */
    QmpEvent awaitEvent(String name) throws InterruptedException {
        drain();
        for (QmpEvent e : seen) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            QmpEvent e = take(deadline, "event " + name);
            if (e.name().equals(name)) {
                return e;
            }
        }
    }

    /**
     * Waits for a MIGRATION event with {@code status} after the one the previous call matched
     * (so that waiting for postcopy-active twice finds the second one). Returns the statuses up
     * to and including the one matched.
     */
    List<String> awaitMigration(String status) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            List<String> statuses = migrationStatuses();
            for (int i = migrationCursor; i < statuses.size(); i++) {
                if (statuses.get(i).equals(status)) {
                    migrationCursor = i + 1;
                    return statuses.subList(0, i + 1);
                }
            }
            take(deadline, "MIGRATION " + status + " (matched up to " + migrationCursor + ")");
        }
    }

    /** The statuses of every MIGRATION event received so far, in order. */
    List<String> migrationStatuses() {
        drain();
        List<String> out = new ArrayList<>();
        for (QmpEvent e : seen) {
            if (e.name().equals("MIGRATION")) {
                out.add((String) e.data().get("status"));
            }
        }
        return out;
    }

    /** The names of all events received so far, in order. */
    List<String> eventNames() {
        drain();
        return seen.stream().map(QmpEvent::name).toList();
    }

    private void drain() {
        arriving.drainTo(seen);
    }

    @Override
    public void close() {
        client.close();
    }
}
