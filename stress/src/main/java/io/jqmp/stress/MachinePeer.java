package io.jqmp.stress;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A management client of one simulated machine: sends commands with ids, and a reader thread
 * files every answer by id (counting how often each id was answered, and the order of the
 * answers) and every {@code MIGRATION} event's status, so the scenario can wait for either with a
 * deadline.
 *
 * <p>Threading: {@link #send} and the wait methods may be called from any thread; the reader is
 * one virtual thread; {@link #close} from any thread.
 */
final class MachinePeer implements AutoCloseable {
    private final String name;
    private final QmpConnection conn;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicLong ids = new AtomicLong();
    // Guarded by lock.
    private final Map<String, Map<?, ?>> answers = new HashMap<>();
    private final Map<String, Integer> answerCounts = new HashMap<>();
    private final List<String> answerOrder = new ArrayList<>();
    private final List<String> statuses = new ArrayList<>();
    private boolean eof;

    MachinePeer(String name, Endpoint endpoint) throws IOException {
        this.name = name;
        this.conn = QmpConnection.negotiated(endpoint, 64 * 1024);
        conn.startReader(name + "-reader", this::file);
    }

    private void file(Object m) {
        lock.lock();
        try {
            if (m == QmpConnection.EOF) {
                eof = true;
            } else if (m instanceof Map<?, ?> msg && msg.get("event") != null) {
                if ("MIGRATION".equals(msg.get("event")) && msg.get("data") instanceof Map<?, ?> d) {
                    statuses.add(String.valueOf(d.get("status")));
                }
            } else if (m instanceof Map<?, ?> msg && msg.get("id") != null) {
                String id = String.valueOf(msg.get("id"));
                answers.put(id, msg);
                answerCounts.merge(id, 1, Integer::sum);
                answerOrder.add(id);
            } else {
                answerOrder.add("(without id: " + QmpConnection.describe(m) + ")");
            }
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
     * {@code arguments} (a JSON object text, or null) and the id {@code id}.
     */
    void send(boolean oob, String command, String arguments, String id) throws IOException {
        conn.send("{\"" + (oob ? "exec-oob" : "execute") + "\": \"" + command + "\""
                + (arguments == null ? "" : ", \"arguments\": " + arguments) + ", \"id\": \"" + id + "\"}");
    }

    /** The answer to {@code id}, or null if none came before {@code deadlineNanos} (or the connection ended). */
    Map<?, ?> awaitAnswer(String id, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!answers.containsKey(id)) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || eof) {
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
                if (left <= 0 || eof) {
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

    /** How many answers carried {@code id}. */
    int answerCount(String id) {
        lock.lock();
        try {
            return answerCounts.getOrDefault(id, 0);
        } finally {
            lock.unlock();
        }
    }

    /** The ids answered more than once. */
    List<String> duplicates() {
        lock.lock();
        try {
            return answerCounts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();
        } finally {
            lock.unlock();
        }
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        conn.close();
    }
}
