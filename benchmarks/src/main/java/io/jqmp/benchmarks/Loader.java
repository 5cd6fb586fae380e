package io.jqmp.benchmarks;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Saturating load: {@code connections} QMP connections, each keeping {@code depth} in-band
 * commands in flight (it sends {@code depth} requests, then one more for every answer). One
 * platform thread per connection; it both reads and writes, so with depth at most the server's
 * pending limit it never deadlocks on full socket buffers.
 *
 * <p>Start with {@link #start}; {@link #responses()} may be read from any thread;
 * {@link #close()} stops and joins the threads (at most a few seconds).
 */
public final class Loader implements Closeable {
    private final List<Prober> probers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder responses = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private volatile boolean running = true;

    private Loader() {
    }

    /**
     * Opens {@code connections} connections (connection {@code i} to {@code endpoints.apply(i)}),
     * and starts loading each with {@code command} at {@code depth}. Returns when every
     * connection is negotiated and has its first requests sent.
     */
    public static Loader start(java.util.function.IntFunction<String> endpoints, int connections, int depth,
                               String command) throws IOException {
        Loader l = new Loader();
        try {
            for (int i = 0; i < connections; i++) {
                l.probers.add(Prober.open(endpoints.apply(i), false));
            }
        } catch (IOException e) {
            l.close();
            throw e;
        }
        CountDownLatch started = new CountDownLatch(connections);
        for (Prober p : l.probers) {
            l.threads.add(Thread.ofPlatform().name("loader").daemon(true)
                    .start(() -> l.run(p, depth, command, started)));
        }
        try {
            if (!started.await(10, TimeUnit.SECONDS)) {
                l.close();
                throw new IOException("loaders did not start within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            l.close();
            throw new IOException("interrupted", e);
        }
        return l;
    }

    private void run(Prober p, int depth, String command, CountDownLatch started) {
        try {
            for (int i = 0; i < depth; i++) {
                p.send(Prober.request(false, command, null, p.nextId()));
            }
            started.countDown();
            while (running) {
                long id = p.awaitLine();
                if (id == Long.MIN_VALUE) {
                    continue; // an event
                }
                if (!p.lastLineIsReturn()) {
                    errors.increment();
                }
                responses.increment();
                if (running) {
                    p.send(Prober.request(false, command, null, p.nextId()));
                }
            }
        } catch (IOException e) {
            if (running) {
                errors.increment();
            }
        } finally {
            started.countDown();
        }
    }

    /** Answers received so far, over all connections. */
    public long responses() {
        return responses.sum();
    }

    /** Error answers and unexpected disconnects so far. */
    public long errors() {
        return errors.sum();
    }

    @Override
    public void close() {
        running = false;
        for (Prober p : probers) {
            try {
                p.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
