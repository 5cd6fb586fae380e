package io.jqmp.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raw QMP client for the machine tests: writes request text, reads lines; a virtual thread
 * sorts them into answers and events. Every wait has a deadline.
 */
final class QmpPeer implements AutoCloseable {
    static final long TIMEOUT_MS = 20_000;
    private static final Pattern MIGRATION = Pattern.compile("\"event\": \"MIGRATION\", \"data\": \\{\"status\": \"([a-z-]+)\"\\}");

    private final SocketChannel channel;
    private final LinkedBlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final List<String> seenEvents = new ArrayList<>();
    private int migrationCursor;

    private QmpPeer(SocketChannel channel) {
        this.channel = channel;
        Thread.ofVirtual().name("qmp-peer").start(this::readLoop);
    }

    /** Connects to a Unix socket and negotiates with the oob capability. */
    static QmpPeer connect(Path socket) throws IOException, InterruptedException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        QmpPeer p = new QmpPeer(ch);
        assertTrue(p.answer().startsWith("{\"QMP\": "));
        assertEquals("{\"return\": {}}", p.call("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}"));
        return p;
    }

    private void readLoop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.contains("\"event\": ")) {
                    events.add(line);
                } else {
                    answers.add(line);
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    void send(String json) throws IOException {
        var buf = StandardCharsets.UTF_8.encode(json + "\n");
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** The next answer (or greeting); fails after the deadline. */
    String answer() throws InterruptedException {
        String a = answers.poll(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(a, "no answer within " + TIMEOUT_MS + " ms");
        return a;
    }

    /** The next answer if one arrives within {@code millis}, else null. */
    String pollAnswer(long millis) throws InterruptedException {
        return answers.poll(millis, TimeUnit.MILLISECONDS);
    }

    String call(String json) throws IOException, InterruptedException {
        send(json);
        return answer();
    }

    /** Executes {@code command} in-band with {@code arguments} (JSON object text or null); returns the answer. */
    String execute(String command, String arguments) throws IOException, InterruptedException {
        return call("{\"execute\": \"" + command + "\"" + (arguments == null ? "" : ", \"arguments\": " + arguments) + "}");
    }

    /** Executes and checks that the answer is {@code {"return": {}}}. */
    void ok(String command, String arguments) throws IOException, InterruptedException {
        assertEquals("{\"return\": {}}", execute(command, arguments), command + " " + arguments);
    }

    /** Waits for an event line containing {@code text}; returns it. Earlier events stay recorded. */
    String awaitEvent(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        synchronized (seenEvents) {
            for (String e : seenEvents) {
                if (e.contains(text)) {
                    return e;
                }
            }
        }
        while (true) {
            long left = deadline - System.nanoTime();
            String e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
            assertNotNull(e, "no event containing " + text + " within " + TIMEOUT_MS + " ms; saw " + seenEvents);
            synchronized (seenEvents) {
                seenEvents.add(e);
            }
            if (e.contains(text)) {
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
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (true) {
            List<String> statuses = migrationStatuses();
            for (int i = migrationCursor; i < statuses.size(); i++) {
                if (statuses.get(i).equals(status)) {
                    migrationCursor = i + 1;
                    return statuses.subList(0, i + 1);
                }
            }
            long left = deadline - System.nanoTime();
            String e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
            assertNotNull(e, "no MIGRATION " + status + " within " + TIMEOUT_MS + " ms; saw " + statuses
                    + " (matched up to " + migrationCursor + ")");
            synchronized (seenEvents) {
                seenEvents.add(e);
            }
        }
    }

    /** The statuses of every MIGRATION event received so far, in order. */
    List<String> migrationStatuses() {
        String e;
        while ((e = events.poll()) != null) {
            synchronized (seenEvents) {
                seenEvents.add(e);
            }
        }
        List<String> out = new ArrayList<>();
        synchronized (seenEvents) {
            for (String s : seenEvents) {
                Matcher m = MIGRATION.matcher(s);
                if (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** The names of all events received so far, in order. */
    List<String> eventNames() {
        migrationStatuses();
        List<String> out = new ArrayList<>();
        synchronized (seenEvents) {
            for (String s : seenEvents) {
                Matcher m = Pattern.compile("\"event\": \"([A-Z_]+)\"").matcher(s);
                if (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** The value of string member {@code name} in {@code json}. */
    static String member(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\": \"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), name + " in " + json);
        return m.group(1);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
