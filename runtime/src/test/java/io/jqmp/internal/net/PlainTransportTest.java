package io.jqmp.internal.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain transport switched to non-blocking mode keeps its blocking contract for the reading and
 * the writing thread, lets any thread write without waiting, and closes for real: threads waiting
 * on it fail, and the peer sees the end of the stream.
 */
class PlainTransportTest {
    private static final long TIMEOUT_SECONDS = 20;
    /** More than any socket buffer here holds. */
    private static final int LARGE = 8 << 20;

    @TempDir
    Path dir;
    private SocketChannel peer;
    private PlainTransport transport;

    @BeforeEach
    void connect() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("t.sock")));
            peer = SocketChannel.open(server.getLocalAddress());
            transport = new PlainTransport(server.accept());
        }
        transport.enterNonBlockingMode();
        assertTrue(transport.isNonBlocking());
    }

    @AfterEach
    void close() throws IOException {
        transport.close();
        peer.close();
    }

    private static <T> Future<T> onPlatformThread(java.util.concurrent.Callable<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().name("transport-test").start(() -> {
            try {
                f.complete(work.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private static Throwable failure(Future<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    /** Reads from the peer until the end of the stream; the number of bytes read. */
    private long drainPeer() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        long total = 0;
        int n;
        while ((n = peer.read(b)) >= 0) {
            total += n;
            b.clear();
        }
        return total;
    }

    @Test
    void aReadWaitsForInputRatherThanReturningNothing() throws Exception {
        Future<String> read = onPlatformThread(() -> {
            ByteBuffer dst = ByteBuffer.allocate(16);
            int n = transport.read(dst);
            return n + ":" + new String(dst.array(), 0, Math.max(n, 0), StandardCharsets.US_ASCII);
        });
        peer.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("3:abc", read.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        peer.shutdownOutput();
        assertEquals(-1, transport.read(ByteBuffer.allocate(16)), "the end of the stream");
    }

    @Test
    void aWriteLargerThanTheSocketTakesWaitsForThePeerAndWritesAll() throws Exception {
        Future<Integer> write = onPlatformThread(() -> {
            transport.write(ByteBuffer.allocateDirect(LARGE));
            transport.close();
            return LARGE;
        });
        assertEquals(LARGE, drainPeer());
        assertEquals(LARGE, write.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void tryWriteTakesWhatTheSocketTakesAndNeverWaits() throws Exception {
        ByteBuffer src = ByteBuffer.allocate(LARGE);
        transport.tryWrite(src); // the peer reads nothing: a blocking write would never return
        assertTrue(src.hasRemaining(), "the socket took all " + LARGE + " bytes");
        long taken = src.position();
        transport.tryWrite(src);
        assertEquals(taken, src.position(), "a full socket takes nothing more");
        transport.close();
        assertEquals(taken, drainPeer());
    }

    @Test
    void closeWakesAWaitingReaderAndWriterAndThePeerSeesTheEnd() throws Exception {
        Future<Integer> read = onPlatformThread(() -> transport.read(ByteBuffer.allocate(16)));
        Future<Void> write = onPlatformThread(() -> {
            transport.write(ByteBuffer.allocateDirect(LARGE)); // the peer does not read
            return null;
        });
        // Both are waiting (or about to): a close must end them either way.
        transport.close();
        assertInstanceOf(IOException.class, failure(read));
        assertInstanceOf(IOException.class, failure(write));
        Future<Long> drained = onPlatformThread(this::drainPeer);
        assertTrue(drained.get(TIMEOUT_SECONDS, TimeUnit.SECONDS) < LARGE, "the socket is closed, not kept open");
    }

    @Test
    void anInterruptEndsAWaitingReadAndCloseThenEndsTheStream() throws Exception {
        CompletableFuture<Thread> reader = new CompletableFuture<>();
        Future<Integer> read = onPlatformThread(() -> {
            reader.complete(Thread.currentThread());
            return transport.read(ByteBuffer.allocate(16));
        });
        reader.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).interrupt();
        assertInstanceOf(IOException.class, failure(read));
        transport.close();
        Future<Long> drained = onPlatformThread(this::drainPeer);
        assertEquals(0, drained.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }
}
