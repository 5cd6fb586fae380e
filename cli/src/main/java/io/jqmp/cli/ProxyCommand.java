package io.jqmp.cli;

import io.jqmp.client.QmpConnectionException;
import io.jqmp.proxy.ProxyPolicy;
import io.jqmp.proxy.QmpProxy;
import io.jqmp.proxy.Recorder;
import io.jqmp.server.Endpoint;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code jqmp proxy}: many QMP clients on one upstream QMP server (see docs/proxy.md). */
final class ProxyCommand {
    private ProxyCommand() {
    }

    static final String USAGE = """
            usage: jqmp proxy --to ENDPOINT [--qmp ENDPOINT]... [OPTIONS]    (ENDPOINT: unix:PATH, tcp:HOST:PORT or tls:HOST:PORT)

            Serves any number of QMP clients on one upstream QMP server (QEMU or jqmp): each client
            gets the upstream's greeting and negotiates on its own; in-band requests of all clients
            go upstream in arrival order (8 outstanding at most), out-of-band ones at once; ids are
            rewritten so clients may reuse each other's; events go to every client.

              --to ENDPOINT        the upstream QMP server (required)
              --qmp ENDPOINT       listen on unix:PATH, tcp:HOST:PORT or tls:HOST:PORT (repeatable;
                                   default unix:./jqmp-proxy.sock)
              --to-tls-creds DIR   for a tls: upstream: ca-cert.pem and, when it verifies clients,
                                   client-cert.pem and client-key.pem (as 'jqmp call --tls-creds')
              --tls-creds DIR      for tls: listeners: server-cert.pem, server-key.pem and, with
                                   verify-peer, ca-cert.pem (as 'jqmp serve --tls-creds')
              --tls-verify-peer on|off  require client certificates signed by ca-cert.pem (default on)
              --tls-authz NAME     serve only TLS clients whose certificate names NAME (repeatable)
              --allow PATTERN      pass only commands matching a glob (* and ?; repeatable)
              --deny PATTERN       refuse commands matching a glob (repeatable; wins over --allow)
              --read-only          pass only query-* and %s
              --reconnect          when the upstream goes away, reconnect with back-off (otherwise
                                   the proxy exits with status 1)
              --keep-clients       with --reconnect: keep clients connected while the upstream is
                                   away (their requests are answered with an error meanwhile)
              --max-backoff MS     longest wait between reconnection attempts (default 5000)
              --max-clients N      clients served at once, two threads each (default %d); more
                                   are refused and the refusal logged
              --record FILE        record every request, answer, event and the greeting as JSON
                                   lines (replay with 'jqmp serve --replay FILE')

            Refused requests get a GenericError saying which rule refused them.
            """.formatted(String.join(", ", ProxyPolicy.READ_ONLY_SAFE), QmpProxy.Config.DEFAULT_MAX_CLIENTS);

    private static final Set<String> VALUED = Set.of("--to", "--qmp", "--allow", "--deny", "--max-backoff", "--record",
            "--to-tls-creds", "--tls-creds", "--tls-verify-peer", "--tls-authz", "--max-clients");
    private static final Set<String> FLAGS = Set.of("--read-only", "--reconnect", "--keep-clients");

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
        return run(argv, out, err, stop);
    }

    /** Runs the proxy until {@code stop} opens or the upstream goes away without --reconnect. */
    static int run(List<String> argv, PrintStream out, PrintStream err, CountDownLatch stop) {
        Args args = Args.parse(argv, VALUED, FLAGS);
        if (!args.positional.isEmpty()) {
            throw new Args.UsageException("unexpected argument '" + args.positional.get(0) + "'");
        }
        String to = args.get("--to", null);
        if (to == null) {
            throw new Args.UsageException("--to ENDPOINT is required (the upstream QMP server, e.g. unix:/run/vm1/qmp.sock)");
        }
        if (args.flag("--keep-clients") && !args.flag("--reconnect")) {
            throw new Args.UsageException("--keep-clients needs --reconnect");
        }
        QmpProxy.Config config;
        Recorder recorder = null;
        try {
            Endpoint upstream = Endpoint.parse(to);
            List<Endpoint> listen = new ArrayList<>();
            for (String e : args.all("--qmp").isEmpty() ? List.of("unix:jqmp-proxy.sock") : args.all("--qmp")) {
                listen.add(Endpoint.parse(e));
            }
            ProxyPolicy policy = new ProxyPolicy(args.all("--allow"), args.all("--deny"), args.flag("--read-only"));
            int backoffMillis = args.getInt("--max-backoff", 5000);
            if (backoffMillis <= 0) {
                throw new IllegalArgumentException("--max-backoff takes a positive number of milliseconds, got "
                        + backoffMillis);
            }
            Duration backoff = Duration.ofMillis(backoffMillis);
            int maxClients = args.getInt("--max-clients", QmpProxy.Config.DEFAULT_MAX_CLIENTS);
            if (maxClients < 1 || maxClients > QmpProxy.Config.MAX_CLIENTS) {
                throw new IllegalArgumentException("--max-clients takes a number from 1 to " + QmpProxy.Config.MAX_CLIENTS
                        + ", got " + maxClients);
            }
            String record = args.get("--record", null);
            if (record != null) {
                try {
                    recorder = Recorder.open(Path.of(record));
                } catch (IOException e) {
                    err.println("jqmp proxy: cannot write the recording " + record + ": " + e.getMessage());
                    return 2;
                }
            }
            config = new QmpProxy.Config(upstream, listen, policy, args.flag("--reconnect"), args.flag("--keep-clients"),
                    backoff, recorder, tls(args, upstream, listen), maxClients);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        QmpProxy proxy;
        try {
            proxy = QmpProxy.start(config);
        } catch (QmpConnectionException e) {
            err.println("jqmp proxy: " + e.getMessage());
            err.println("check that QEMU (-qmp " + to + ",server=on,wait=off) is running and that nothing else holds its monitor");
            closeQuietly(recorder);
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("jqmp proxy: cannot listen: " + e.getMessage());
            closeQuietly(recorder);
            return 2;
        }
        out.println("jqmp: QMP proxy ready, upstream " + to + ", clients on " + proxy.endpoints());
        proxy.ended().thenRun(stop::countDown);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String ended = proxy.ended().getNow(null);
        proxy.close();
        if (ended != null) {
            err.println("jqmp proxy: " + ended);
            return 1;
        }
        return 0;
    }

    private static void closeQuietly(Recorder r) {
        if (r != null) {
            r.close();
        }
    }

    /**
     * The TLS options, each checked against the endpoints it is for: {@code --to-tls-creds} goes
     * with a {@code tls:} upstream, {@code --tls-creds} with {@code tls:} listeners.
     */
    private static QmpProxy.Tls tls(Args args, Endpoint upstream, List<Endpoint> listen) {
        String toCreds = args.get("--to-tls-creds", null);
        boolean tlsUpstream = upstream instanceof Endpoint.Tls;
        if (tlsUpstream != (toCreds != null)) {
            throw new IllegalArgumentException(tlsUpstream ? "the upstream " + upstream + " is a TLS endpoint: give"
                    + " --to-tls-creds DIR (a directory with ca-cert.pem, and client-cert.pem and client-key.pem"
                    + " when the upstream verifies clients)"
                    : "--to-tls-creds is for a tls:HOST:PORT upstream, not " + upstream);
        }
        String creds = args.get("--tls-creds", null);
        boolean tlsListener = listen.stream().anyMatch(e -> e instanceof Endpoint.Tls);
        if (tlsListener != (creds != null)) {
            throw new IllegalArgumentException(tlsListener ? "a --qmp tls:HOST:PORT listener needs --tls-creds DIR"
                    + " (server-cert.pem, server-key.pem and, with verify-peer, ca-cert.pem)"
                    : "--tls-creds is for --qmp tls:HOST:PORT listeners, and there is none (for a tls: upstream"
                    + " use --to-tls-creds)");
        }
        String verify = args.get("--tls-verify-peer", "on");
        if (!verify.equals("on") && !verify.equals("off")) {
            throw new IllegalArgumentException("--tls-verify-peer takes on or off, got '" + verify + "'");
        }
        return new QmpProxy.Tls(
                toCreds == null ? null : TlsCredentials.fromDirectory(Path.of(toCreds), TlsCredentials.Side.CLIENT, true),
                creds == null ? null : TlsCredentials.fromDirectory(Path.of(creds), TlsCredentials.Side.SERVER,
                        verify.equals("on")),
                args.all("--tls-authz"));
    }
}
