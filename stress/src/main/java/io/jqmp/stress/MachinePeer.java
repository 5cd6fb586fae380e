package io.jqmp.stress;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.server.Endpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A management client of one simulated machine, on {@link QmpClient}: sends commands with the
 * scenario's ids and files every answer by id, in the order the answers arrived, and every
 * {@code MIGRATION} event's status, so the scenario can wait for either with a deadline.
 *
 * <p>Answers are filed by the client's reader thread as it completes them, in wire order: a
 * command is registered on the thread that sends it before the next one is sent, so no later
 * answer can be filed before it. Statuses are filed by the client's event callback thread, in
 * wire order.
 *
 * <p>Threading: {@link #send} from one scenario thread at a time; the wait methods and
 * {@link #close} from any thread.
 */
final class MachinePeer implements AutoCloseable {
    /** Longer than any step: the scenario's own deadlines decide when an answer is missing. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(10);
    /**
     * Negotiation with a server just started in this process: on a starved machine a cold JVM
     * took over 10 s (the client's default) for the first one.
     */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final QmpClient client;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicLong ids = new AtomicLong();
    // Guarded by lock.
    private final Map<String, Map<?, ?>> answers = new HashMap<>();
    private final List<String> answerOrder = new ArrayList<>();
    private final List<String> statuses = new ArrayList<>();
    private boolean closed;

    MachinePeer(String name, Endpoint endpoint) throws QmpConnectionException {
        this.name = name;
        this.client = QmpClient.builder(endpoint).oob(true).connectTimeout(CONNECT_TIMEOUT).commandTimeout(COMMAND_TIMEOUT)
                .onEvent(e -> e.name().equals("MIGRATION"), e -> fileStatus(String.valueOf(e.data().get("status"))))
                .connect();
        client.closedFuture().thenRun(this::fileClosed);
    }

    private void fileStatus(String status) {
        lock.lock();
        try {
            statuses.add(status);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void fileClosed() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Files the answer to {@code id} as the message it came in: {@code return}, or {@code error} with class and desc. */
    private void fileAnswer(String id, Object result, Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException c ? c.getCause() : failure;
        Map<String, Object> message = new LinkedHashMap<>();
        if (cause instanceof QmpErrorException e) {
            message.put("error", Map.of("class", e.errorClass(), "desc", e.desc()));
        } else if (cause != null) {
            return; // no answer (the connection ended): the waiter's deadline or the close says so
        } else {
            message.put("return", result);
        }
        message.put("id", id);
        lock.lock();
        try {
            answers.put(id, message);
            answerOrder.add(id);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A new id, unique on this connection. */
    String nextId(String prefix) {
        return prefix + "-" + ids.incrementAndGet();
    }

    /**
     * Sends {@code execute} (or {@code exec-oob} when {@code oob}) of {@code command} with
     * {@code arguments} (a JSON object text, or null) and the id {@code id}. Never blocks.
     */
    void send(boolean oob, String command, String arguments, String id) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put(oob ? "exec-oob" : "execute", command);
        if (arguments != null) {
            message.put("arguments", parseObject(arguments));
        }
        message.put("id", id);
        client.executeMessage(message).whenComplete((result, failure) -> fileAnswer(id, result, failure));
    }

    private static Object parseObject(String json) {
        List<JsonResult> r = new JsonStreamer().feedAll(json.getBytes(StandardCharsets.UTF_8));
        if (r.size() != 1 || !(r.get(0) instanceof JsonResult.Value v) || !(v.value() instanceof Map)) {
            throw new IllegalArgumentException("not one JSON object: " + json);
        }
        return v.value();
    }

    /** The answer to {@code id}, or null if none came before {@code deadlineNanos} (or the connection ended). */
    Map<?, ?> awaitAnswer(String id, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!answers.containsKey(id)) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || closed) {
                    return null;
                }
                changed.awaitNanos(left);
            }
            return answers.get(id);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a MIGRATION event with {@code status} arrives at position {@code from} or later;
     * returns its position, or -1 at the deadline.
     */
    int awaitStatus(String status, int from, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                for (int i = from; i < statuses.size(); i++) {
                    if (statuses.get(i).equals(status)) {
                        return i;
                    }
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || closed) {
                    return -1;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** How many MIGRATION events arrived so far. */
    int statusCount() {
        lock.lock();
        try {
            return statuses.size();
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the MIGRATION statuses in arrival order. */
    List<String> statuses() {
        lock.lock();
        try {
            return new ArrayList<>(statuses);
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the ids of all answers in arrival order. */
    List<String> answerOrder() {
        lock.lock();
        try {
            return new ArrayList<>(answerOrder);
        } finally {
            lock.unlock();
        }
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        client.close();
    }
}
