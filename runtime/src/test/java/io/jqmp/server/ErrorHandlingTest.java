package io.jqmp.server;

import io.jqmp.testing.Await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Errors caught on the server's threads: counted and reported through the error handler; an
 * {@link Error}, or anything escaping a guarded product thread, stops the server with the thread's
 * name instead of leaving a server that answers with a dead part.
 */
class ErrorHandlingTest {
    @TempDir
    Path dir;

    /** Records what the error handler sees. */
    static final class Recorder implements ErrorHandler {
        final LinkedBlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<String> fatal = new LinkedBlockingQueue<>();

        @Override
        public void onError(Throwable error) {
            errors.add(error);
        }

        @Override
        public void onFatal(String thread, Throwable error) {
            fatal.add(thread + ": " + error.getMessage());
        }

        String nextFatal() throws InterruptedException {
            String f = fatal.poll(WireClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(f, "no fatal error reported");
            return f;
        }
    }

    private final Recorder recorder = new Recorder();

    private TestServer server() throws Exception {
        return new TestServer(dir, b -> b.errorHandler(recorder)
                .handler("test-args", ctx -> {
                    throw new OutOfMemoryError("simulated, in-band");
                })
                .handler("test-oob-ping", ctx -> {
                    if (ctx.arguments().isEmpty() && ctx.outOfBand()) {
                        throw new StackOverflowError("simulated, out-of-band");
                    }
                    return null;
                }));
    }

    @Test
    void aHandlerExceptionIsAnsweredCountedAndReported() throws Exception {
        try (TestServer s = server(); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-fail\", \"arguments\": {\"internal\": true}, \"id\": 1}");
            c.expect("{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"internal error in command test-fail "
                    + "(the server's log has the details)\"}}");
            Throwable reported = recorder.errors.poll(WireClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertInstanceOf(IllegalStateException.class, reported);
            assertEquals(1, s.server.errorCount());
            s.server.reportError(new IllegalArgumentException("an embedder's own"));
            assertEquals(2, s.server.errorCount());
            assertEquals("an embedder's own", recorder.errors.poll().getMessage());
            c.send("{\"execute\": \"test-count\", \"id\": 2}");
            c.expect("{\"return\": {\"count\": 1}, \"id\": 2}");
            assertFalse(s.server.failure().isPresent());
        }
    }

    @Test
    void anErrorInAnInbandHandlerStopsTheServerNamingTheMainLoop() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        try (TestServer s = server(); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-args\", \"arguments\": {\"name\": \"x\"}, \"id\": 1}");
            assertEquals("main-loop: simulated, in-band", recorder.nextFatal());
            c.expectClosed();
            Await.until("the server has stopped", () -> !Files.exists(sock));
            assertInstanceOf(OutOfMemoryError.class, s.server.failure().orElseThrow());
            assertEquals(1, s.server.errorCount());
        }
    }

    @Test
    void anErrorInAnOutOfBandHandlerStopsTheServerNamingTheMonitor() throws Exception {
        try (TestServer s = server(); WireClient c = s.client(true)) {
            c.send("{\"exec-oob\": \"test-oob-ping\", \"id\": 1}");
            assertEquals("monitor: simulated, out-of-band", recorder.nextFatal());
            c.expectClosed();
        }
    }

    @Test
    void aGuardedThreadThatDiesStopsTheServer() throws Exception {
        try (TestServer s = server(); WireClient c = s.client(true)) {
            IllegalStateException boom = new IllegalStateException("the guest's vcpu broke");
            Thread t = Thread.ofPlatform().start(s.server.guard("vcpu", () -> {
                throw boom;
            }));
            t.join(WireClient.TIMEOUT.toMillis());
            assertEquals("vcpu: the guest's vcpu broke", recorder.nextFatal());
            assertSame(boom, s.server.failure().orElseThrow());
            c.expectClosed();
        }
    }

    @Test
    void aThrowingErrorHandlerDoesNotHideTheError() throws Exception {
        try (TestServer s = new TestServer(dir, b -> b.errorHandler(e -> {
            throw new IllegalStateException("a broken handler");
        })); WireClient c = s.client(true)) {
            c.send("{\"execute\": \"test-fail\", \"arguments\": {\"internal\": true}, \"id\": 1}");
            assertTrue(c.next().contains("\"GenericError\""));
            assertEquals(1, s.server.errorCount());
        }
    }
}
