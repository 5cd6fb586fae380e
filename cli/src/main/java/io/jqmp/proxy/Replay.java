package io.jqmp.proxy;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.server.QmpServer;
import io.jqmp.server.QmpServerConfig;
import io.jqmp.server.RequestForwarder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Impersonates a recorded server ({@link Recorder}'s JSON lines): the recorded greeting, and for
 * each request the recorded answer of a request with the same command and arguments (member
 * order does not matter). Repeats: the n-th time any client sends a request it gets the answer
 * recorded the n-th time; past the last recording the last answer is given again. The events
 * recorded after a request (up to the next request) are sent, with their recorded timestamps,
 * right after its answer. A request never recorded gets a GenericError saying so.
 *
 * <p>Threading: {@link #forward} runs on the server's reader threads; the counters are guarded
 * by this object's lock.
 */
public final class Replay implements RequestForwarder {

    /** One recorded answer and the events that followed it. */
    private record Recorded(Map<String, Object> answer, List<Map<String, Object>> events) {
    }

    private final Path file;
    private final Map<String, Object> greeting;
    private final Map<String, List<Recorded>> answers;
    private final Map<String, Integer> served = new HashMap<>();
    private volatile QmpServer server;

    private Replay(Path file, Map<String, Object> greeting, Map<String, List<Recorded>> answers) {
        this.file = file;
        this.greeting = greeting;
        this.answers = answers;
    }

    /**
     * Reads a recording.
     *
     * @param file JSON lines written by {@code jqmp proxy --record}
     * @return the replay
     * @throws IOException the file cannot be read
     * @throws IllegalArgumentException a line is not a recording line, or the greeting is missing
     */
    @SuppressWarnings("unchecked")
    public static Replay load(Path file) throws IOException {
        Map<String, Object> greeting = null;
        Map<Long, String> requestKeys = new HashMap<>();
        Map<Long, List<Map<String, Object>>> eventsAfter = new HashMap<>();
        Map<String, List<Recorded>> answers = new LinkedHashMap<>();
        List<Map<String, Object>> lastRequestEvents = null;
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> entry = parse(line, file, lineNo);
            if (!(entry.get("message") instanceof Map<?, ?> m)) {
                continue; // e.g. a {"dropped": N} line
            }
            Map<String, Object> message = (Map<String, Object>) m;
            Object seq = entry.get("seq");
            if (message.containsKey("QMP")) {
                greeting = greeting == null ? message : greeting;
            } else if ("in".equals(entry.get("direction")) && seq instanceof Long n) {
                requestKeys.put(n, key(message));
                lastRequestEvents = new ArrayList<>();
                eventsAfter.put(n, lastRequestEvents);
            } else if (message.containsKey("event")) {
                if (lastRequestEvents != null) {
                    lastRequestEvents.add(message);
                }
            } else if (seq instanceof Long n && requestKeys.containsKey(n)) {
                answers.computeIfAbsent(requestKeys.remove(n), k -> new ArrayList<>())
                        .add(new Recorded(message, eventsAfter.remove(n)));
            }
        }
        if (greeting == null) {
            throw new IllegalArgumentException(file + " holds no greeting: not a recording of 'jqmp proxy --record'");
        }
        return new Replay(file, greeting, answers);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String line, Path file, int lineNo) {
        JsonStreamer s = new JsonStreamer();
        s.keepWireForm(); // recorded messages are answered in the order they were recorded
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        s.feed(bytes, 0, bytes.length);
        if (s.poll() instanceof JsonResult.Value v && v.value() instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException(file + ":" + lineNo + ": not a recording line (a JSON object)");
    }

    /** A request's identity: its command and its arguments in a canonical form. */
    private static String key(Map<String, Object> request) {
        Object command = request.containsKey("exec-oob") ? request.get("exec-oob") : request.get("execute");
        Object args = request.get("arguments");
        return command + " " + JsonWriter.toJson(args == null ? Map.of() : args);
    }

    /** The recorded server's version, for the replaying server's greeting. */
    public QmpServerConfig.Version version() {
        return QmpProxy.versionOf(greeting);
    }

    /** Whether the recorded server offered out-of-band execution. */
    public boolean offersOob() {
        return greeting.get("QMP") instanceof Map<?, ?> q && q.get("capabilities") instanceof List<?> caps
                && caps.contains("oob");
    }

    /** Connects the replay to the server it answers for (to send the recorded events). */
    public void attach(QmpServer server) {
        this.server = server;
    }

    @Override
    public void forward(ForwardedRequest request, Reply reply) {
        String key = key(request.message());
        List<Recorded> recorded = answers.get(key);
        if (recorded == null) {
            reply.error("GenericError", "this replay of " + file + " has no recorded answer for " + key);
            return;
        }
        Recorded r;
        synchronized (this) {
            int n = served.merge(key, 1, Integer::sum);
            r = recorded.get(Math.min(n, recorded.size()) - 1);
        }
        reply.answer(r.answer());
        QmpServer s = server;
        if (s != null) {
            r.events().forEach(e -> s.events().forward(e));
        }
    }
}
