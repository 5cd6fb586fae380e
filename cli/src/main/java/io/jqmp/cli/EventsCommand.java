package io.jqmp.cli;

import io.jqmp.client.EventSubscription;
import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpEvent;
import io.jqmp.internal.wire.JsonWriter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code jqmp events [ENDPOINT] [--filter NAME]...}: prints events as JSON lines until interrupted,
 * until {@code --count} events were printed, or until the server goes away. The calling thread
 * waits; events are printed by the subscription's delivery thread.
 */
final class EventsCommand {
    private EventsCommand() {
    }

    static final String USAGE = """
            usage: jqmp events [ENDPOINT] [--filter NAME]... [--count N] [--timeout SECONDS] [--tls-creds DIR]

            Connects to a QMP server, negotiates and prints every event as one JSON line on stdout,
            exactly as received (timestamp included), until interrupted (Ctrl-C). ENDPOINT is
            unix:PATH, tcp:HOST:PORT or tls:HOST:PORT; without it, unix:./jqmp.sock, where 'jqmp serve' listens by
            default.

              --filter NAME      only events called NAME (repeatable; default all)
              --count N          stop after N events
              --timeout SECONDS  for connecting (default 10)
            """ + ClientCommands.TLS_USAGE + """

            Exit status: 0 stopped; 2 bad usage, a connection problem or the server went away.
            """;

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
        return run(argv, out, err, stop);
    }

    /** Runs until {@code stop} opens, {@code --count} events were printed, or the connection ends. */
    static int run(List<String> argv, PrintStream out, PrintStream err, CountDownLatch stop) {
        Args args = Args.parse(argv, Set.of("--filter", "--count", "--timeout", ClientCommands.TLS_CREDS), Set.of());
        ClientCommands.Positional where = ClientCommands.positional(args.positional);
        if (!where.rest().isEmpty()) {
            throw new Args.UsageException("unexpected argument '" + where.rest().get(0) + "' (expected at most ENDPOINT:"
                    + " unix:PATH, tcp:HOST:PORT or tls:HOST:PORT)");
        }
        String endpoint = where.endpoint();
        Set<String> names = Set.copyOf(args.all("--filter"));
        int count = args.getInt("--count", 0);
        if (count < 0) {
            throw new Args.UsageException("--count must not be negative");
        }
        Duration timeout = ClientCommands.timeout(args, 10);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong printed = new AtomicLong();
        QmpClient.Builder b = ClientCommands.builder(endpoint, args).connectTimeout(timeout).eventBufferCapacity(65536)
                // Subscribed before connecting, so not even the earliest event is missed.
                .onEvent(e -> names.isEmpty() || names.contains(e.name()), (QmpEvent e) -> {
                    if (count > 0 && printed.get() >= count) {
                        return;
                    }
                    out.println(JsonWriter.toJson(e.message()));
                    out.flush();
                    if (count > 0 && printed.incrementAndGet() >= count) {
                        done.countDown();
                    }
                });
        try (QmpClient qmp = b.connect()) {
            // On stderr, so that stdout stays pure JSON lines.
            err.println("jqmp events: connected to " + endpoint + ", waiting for "
                    + (names.isEmpty() ? "events" : String.join(", ", args.all("--filter").stream().distinct().toList()))
                    + " (Ctrl-C to stop)");
            err.flush();
            qmp.closedFuture().thenRun(done::countDown);
            Thread.ofVirtual().start(() -> {
                try {
                    stop.await();
                } catch (InterruptedException ignored) {
                    // the command ends anyway
                }
                done.countDown();
            });
            done.await();
            if (!qmp.isOpen() && stop.getCount() > 0 && (count == 0 || printed.get() < count)) {
                err.println("jqmp events: " + qmp.closeCause().getMessage());
                return ClientCommands.CONNECTION;
            }
            long dropped = qmp.subscriptions().stream().mapToLong(EventSubscription::dropped).sum();
            if (dropped > 0) {
                err.println("jqmp events: " + dropped + " event(s) dropped because output was too slow");
            }
            return 0;
        } catch (QmpConnectionException e) {
            return ClientCommands.connectionProblem("events", where, e, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
