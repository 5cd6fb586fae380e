package io.jqmp.server;

import io.jqmp.client.QmpClient;
import io.jqmp.protocol.QmpException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** A server on a Unix socket in a temporary directory with the test schema's commands. */
final class TestServer implements AutoCloseable {
    final QmpServer server;
    final Endpoint endpoint;
    /** How many times test-count ran. */
    final AtomicLong counted = new AtomicLong();
    /** How many test-blob answers were built. */
    final AtomicLong blobs = new AtomicLong();

    TestServer(Path dir, Consumer<QmpServer.Builder> customize) throws IOException {
        QmpServer.Builder b = QmpServer.builder()
                .listen(new Endpoint.Unix(dir.resolve("qmp.sock")))
                .schemaResource("io/jqmp/server/test.json")
                .xOobTest(true)
                .checkAnswers(true)
                .handler("test-oob-ping", ctx -> null)
                .handler("test-count", ctx -> Map.of("count", counted.incrementAndGet()))
                .handler("test-blob", ctx -> {
                    blobs.incrementAndGet();
                    return Map.of("data", "x".repeat(((Long) ctx.arguments().get("size")).intValue()));
                })
                .handler("test-emit", ctx -> {
                    String event = (String) ctx.arguments().get("event");
                    Map<String, Object> data = null;
                    if (ctx.arguments().containsKey("n")) {
                        data = new LinkedHashMap<>();
                        if (event.equals("RTC_CHANGE")) {
                            data.put("offset", ctx.arguments().get("n"));
                            data.put("qom-path", "/machine/rtc");
                        } else {
                            data.put("n", ctx.arguments().get("n"));
                        }
                    }
                    ctx.server().events().emit(event, data);
                    return null;
                })
                .handler("test-no-reply", ctx -> null)
                .handler("test-fail", ctx -> {
                    if (Boolean.TRUE.equals(ctx.arguments().get("internal"))) {
                        throw new IllegalStateException("boom");
                    }
                    throw new QmpException("test failure");
                })
                .handler("test-args", ctx -> null)
                .handler("test-raw", ctx -> Map.of("echo", ctx.arguments()));
        customize.accept(b);
        this.server = b.build().start();
        this.endpoint = server.endpoints().get(0);
    }

    /** Unblocks an in-band {@code x-oob-test} as a client would: out-of-band, from a connection of its own. */
    void unlockOobTest() throws Exception {
        try (QmpClient c = QmpClient.connect(endpoint.toString())) {
            c.callOob("x-oob-test", Map.of("lock", false));
        }
    }

    TestServer(Path dir) throws IOException {
        this(dir, b -> { });
    }

    WireClient client(boolean oob) throws IOException {
        return WireClient.negotiated(endpoint, oob);
    }

    @Override
    public void close() {
        server.close();
    }
}
