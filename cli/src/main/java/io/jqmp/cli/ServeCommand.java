package io.jqmp.cli;

import io.jqmp.server.IdleStrategy;
import io.jqmp.machine.Machine;
import io.jqmp.machine.MachineConfig;
import io.jqmp.proxy.Replay;
import io.jqmp.protocol.QmpException;
import io.jqmp.server.ConnectionThreads;
import io.jqmp.server.Dialect;
import io.jqmp.server.Endpoint;
import io.jqmp.server.ErrorHandler;
import io.jqmp.server.QmpServer;
import io.jqmp.server.QmpServerConfig;
import io.jqmp.server.TlsCredentials;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code jqmp serve}: runs a QMP server, by default with the simulated machine of
 * {@code io.jqmp.machine}, until SIGINT, SIGTERM or {@code quit}.
 */
final class ServeCommand {
    private ServeCommand() {
    }

    /** The server's defaults: written once, in QmpServerConfig. */
    private static final QmpServerConfig D = QmpServerConfig.DEFAULTS;

    static final String USAGE = """
            usage: jqmp serve [--qmp unix:PATH | --qmp tcp:HOST:PORT | --qmp tls:HOST:PORT]... [--schema FILE]...
                              [OPTIONS]

            Runs a QMP server with a simulated virtual machine (run states, guest memory, live
            migration; see docs/machine.md). Without --qmp or --management it listens on
            unix:./jqmp.sock and tcp:127.0.0.1:4444; with them, on exactly the endpoints given.

              --qmp ENDPOINT          listen on unix:PATH, tcp:HOST:PORT or tls:HOST:PORT (repeatable)
              --management ENDPOINT   listen on ENDPOINT with a platform reader and writer thread per
                                      connection: for a few control clients whose out-of-band
                                      answers must not wait behind other clients (repeatable)
              --oob-platform-clients N  clients of the other listeners that move to a platform
                                      reader and writer at their first exec-oob, at most N at once
                                      (default %d; 0: all stay on virtual threads)
              --tls-creds DIR         for tls: listeners: server-cert.pem, server-key.pem and, with
                                      verify-peer, ca-cert.pem (as QEMU's tls-creds-x509 dir)
              --tls-verify-peer on|off  require client certificates signed by ca-cert.pem (default on)
              --tls-authz NAME        serve only TLS clients whose certificate names NAME: a DN such as
                                      CN=admin,O=Example, or a bare CN (repeatable; needs verify-peer)
              --input-budget SIZE     heap for large requests of all clients together, K/M/G suffixes
                                      (default a quarter of the maximum heap)
              --output-budget SIZE    unread output of all clients together (default a quarter of the heap)
              --schema FILE           add a QAPI schema file (repeatable). Its definitions replace
                                      the built-in and machine ones of the same name; if it
                                      declares qmp_capabilities (as QEMU's qapi/qapi-schema.json
                                      does) it is the whole schema. Commands neither jqmp nor the
                                      machine implements answer an error saying so
              --define NAME           a name the schema's 'if' conditions test, e.g. CONFIG_VNC
                                      (repeatable)
              --define-file FILE      names for 'if' conditions, one a line, '#' comments
                                      (repeatable; see docs/qemu-schema.md)
              --dialect current|2.12  protocol form (default %s; 2.12 = the first OOB design)
              --qemu-version X.Y.Z    version in the greeting and query-version (default %s)
              --qemu-package TEXT     'package' in the greeting and query-version (default "%s")
              --max-clients N         connections served at once (default %d)
              --max-pending N         in-band requests a client may queue (default %d)
              --monitor-idle NAME     monitor thread idle strategy: %s (default %s)
              --pin-monitor CPU       bind the monitor thread to CPU (for hosts with cores to dedicate)
              --pin-main-loop CPU     bind the main loop's thread to CPU
              --pretty                pretty-print output, as QEMU's pretty=on
              --unmask-schema         query-qmp-schema shows real type names
              --no-x-oob-test         remove the x-oob-test command (jqmp serve has it, to test
                                      out-of-band execution; an embedded server only when asked)
              --name NAME             the guest's name (query-name)
              --memory SIZE           guest memory, K/M/G suffixes, 4 KiB pages (default %dM)
              --incoming URI          start as a migration destination listening on tcp:HOST:PORT
                                      or unix:PATH, or 'defer' to wait for migrate-incoming
              --dirty-rate PAGES/S    pages the vCPU writes per second while running (default %d)
              --no-machine            serve only the built-in commands, no machine
              --replay FILE           impersonate the server recorded by 'jqmp proxy --record FILE':
                                      its greeting, its answers to the same requests, its events
                                      (see docs/proxy.md); only --qmp and --max-clients apply

            Stops cleanly on SIGINT/SIGTERM or the machine's quit command, and removes its
            socket files.
            """.formatted(D.oobPlatformConnections(), D.dialect().label(), version(D.version()), D.version().packageName(), D.maxConnections(), D.maxPendingInband(),
            IdleStrategy.NAMES, D.monitorIdle().get(), MachineConfig.defaults().memory() >> 20,
            MachineConfig.defaults().dirtyRate());

    /** Where serve listens without --qmp; the client commands' default is the first. */
    static final List<String> DEFAULT_ENDPOINTS = List.of(ClientCommands.DEFAULT_ENDPOINT, "tcp:127.0.0.1:4444");

    private static final Set<String> VALUED = Set.of("--qmp", "--management", "--oob-platform-clients", "--schema", "--define", "--define-file",
            "--dialect", "--qemu-version", "--qemu-package", "--max-clients", "--max-pending", "--monitor-idle",
            "--pin-monitor", "--pin-main-loop", "--name", "--memory", "--incoming", "--dirty-rate", "--replay",
            "--tls-creds", "--tls-verify-peer", "--tls-authz", "--input-budget", "--output-budget");
    private static final Set<String> FLAGS = Set.of("--pretty", "--unmask-schema", "--no-x-oob-test", "--no-machine");

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        // The JVM exits when its shutdown hooks return: let this one wait for the clean close.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        try {
            return run(argv, out, err, stop);
        } finally {
            done.countDown();
        }
    }

    /** Runs the server until {@code stop} opens (SIGINT/SIGTERM in production), then closes it. */
    static int run(List<String> argv, PrintStream out, PrintStream err, CountDownLatch stop) {
        Args args = Args.parse(argv, VALUED, FLAGS);
        if (!args.positional.isEmpty()) {
            throw new Args.UsageException("unexpected argument '" + args.positional.get(0) + "'");
        }
        QmpServer.Builder b = QmpServer.builder();
        ErrorHandler logging = ErrorHandler.logging();
        String[] failedThread = new String[1];
        b.errorHandler(new ErrorHandler() {
            @Override
            public void onError(Throwable error) {
                logging.onError(error);
            }

            @Override
            public void onFatal(String thread, Throwable error) {
                failedThread[0] = thread;
                stop.countDown();
            }
        });
        Machine machine = null;
        List<String> endpoints = args.all("--qmp");
        List<String> management = args.all("--management");
        if (endpoints.isEmpty() && management.isEmpty()) {
            endpoints = DEFAULT_ENDPOINTS;
        }
        String replayFile = args.get("--replay", null);
        if (replayFile != null) {
            return replay(Path.of(replayFile), endpoints, args, out, err, stop);
        }
        List<Path> schemaFiles = args.all("--schema").stream().map(ServeCommand::schemaFile).toList();
        try {
            for (String e : endpoints) {
                b.listen(Endpoint.parse(e));
            }
            for (String e : management) {
                b.listen(Endpoint.parse(e), ConnectionThreads.PLATFORM);
            }
            for (Path s : schemaFiles) {
                b.schemaFile(s);
            }
            args.all("--define").forEach(b::define);
            for (String f : args.all("--define-file")) {
                b.defineFile(Path.of(f));
            }
            b.fallbackHandler(ctx -> {
                throw new QmpException("Command " + ctx.command() + " is declared in a schema but has no implementation in this server");
            });
            b.dialect(Dialect.parse(args.get("--dialect", D.dialect().label())));
            b.version(parseVersion(args.get("--qemu-version", version(D.version())),
                    args.get("--qemu-package", D.version().packageName())));
            b.maxConnections(args.getInt("--max-clients", D.maxConnections()));
            b.maxPendingInband(args.getInt("--max-pending", D.maxPendingInband()));
            int oobPlatform = args.getInt("--oob-platform-clients", D.oobPlatformConnections());
            if (oobPlatform < 0) {
                throw new IllegalArgumentException("--oob-platform-clients must be 0 or more, got " + oobPlatform);
            }
            b.oobPlatformConnections(oobPlatform);
            String idle = args.get("--monitor-idle", null);
            if (idle != null) {
                IdleStrategy.parse(idle);
                b.monitorIdleStrategy(() -> IdleStrategy.parse(idle));
            }
            Map<String, Integer> pins = new LinkedHashMap<>();
            for (String role : List.of("monitor", "main-loop")) {
                String cpu = args.get("--pin-" + role, null);
                if (cpu != null) {
                    pins.put(role, cpuNumber("--pin-" + role, cpu));
                }
            }
            if (new HashSet<>(pins.values()).size() < pins.size()) {
                throw new IllegalArgumentException("--pin-monitor and --pin-main-loop need different CPUs");
            }
            if (!pins.isEmpty()) {
                b.threadPlacement(new CpuAffinity(pins));
            }
            List<String> tlsEndpoints = new ArrayList<>(endpoints);
            tlsEndpoints.addAll(management);
            tls(args, b, tlsEndpoints);
            budget(args, b);
            b.pretty(args.flag("--pretty"));
            b.unmaskSchema(args.flag("--unmask-schema"));
            b.xOobTest(!args.flag("--no-x-oob-test"));
            if (args.flag("--no-machine")) {
                for (String o : List.of("--name", "--memory", "--incoming", "--dirty-rate")) {
                    if (args.get(o, null) != null) {
                        throw new IllegalArgumentException(o + " needs the machine; drop --no-machine");
                    }
                }
            } else {
                machine = new Machine(machineConfig(args));
                machine.install(b);
            }
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        QmpServer server;
        try {
            server = b.build();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("jqmp serve: " + withoutMachineResource(e.getMessage(), machine != null));
            return 2;
        }
        if (machine != null) {
            machine.onQuit(stop::countDown);
            try {
                machine.start(server);
            } catch (IOException e) {
                machine.close();
                err.println("jqmp serve: cannot listen for the incoming migration: " + e.getMessage());
                return 2;
            }
        }
        try {
            server.start();
        } catch (IOException e) {
            if (machine != null) {
                machine.close();
            }
            err.println("jqmp serve: " + ListenProblem.describe(server.config().listeners(), e));
            return 2;
        }
        out.println("jqmp: QMP server ready (dialect " + server.config().dialect().label() + ")");
        if (machine != null) {
            MachineConfig mc = machine.config();
            out.println("  machine" + (mc.name() == null ? "" : " '" + mc.name() + "'") + ": " + (mc.memory() >> 10)
                    + " KiB of memory, " + mc.dirtyRate() + " dirty pages/s, "
                    + (mc.incoming() == null ? "running" : "incoming migration on " + mc.incoming()));
        }
        for (Endpoint e : server.endpoints()) {
            out.println("  listening on " + e);
        }
        out.println("connect with, for example:");
        for (Endpoint e : server.endpoints()) {
            if (e instanceof Endpoint.Unix u) {
                out.println("  socat - UNIX-CONNECT:" + u.path());
            } else if (e instanceof Endpoint.Tcp t) {
                out.println("  socat - TCP:" + t.host() + ":" + t.port());
            } else if (e instanceof Endpoint.Tls t) {
                out.println("  jqmp shell tls:" + t.host() + ":" + t.port() + " --tls-creds DIR");
            }
        }
        out.println("then send {\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}");
        out.println("stop with Ctrl-C");
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (machine != null) {
                machine.close(); // first: fails page waits, so a main loop blocked on a page lets the server stop
            }
            server.close();
            out.println("jqmp: stopped");
        }
        Throwable failure = server.failure().orElse(null);
        if (failure != null) {
            err.println("jqmp serve: stopped because thread " + failedThread[0] + " could not continue: " + failure);
            return 1;
        }
        return 0;
    }

    /** {@code --tls-creds}, {@code --tls-verify-peer}, {@code --tls-authz}; the builder checks they fit the listeners. */
    private static void tls(Args args, QmpServer.Builder b, List<String> endpoints) {
        String dir = args.get("--tls-creds", null);
        boolean tlsListener = endpoints.stream().anyMatch(e -> e.startsWith("tls:"));
        if (tlsListener != (dir != null)) {
            throw new IllegalArgumentException(tlsListener ? "a --qmp tls:HOST:PORT listener needs --tls-creds DIR "
                    + "(server-cert.pem, server-key.pem and, with verify-peer, ca-cert.pem)"
                    : "--tls-creds is for --qmp tls:HOST:PORT listeners, and there is none");
        }
        String verify = args.get("--tls-verify-peer", "on");
        if (!verify.equals("on") && !verify.equals("off")) {
            throw new IllegalArgumentException("--tls-verify-peer takes on or off, got '" + verify + "'");
        }
        if (dir != null) {
            b.tls(TlsCredentials.fromDirectory(Path.of(dir), TlsCredentials.Side.SERVER, verify.equals("on")));
        }
        b.tlsAuthz(args.all("--tls-authz"));
    }

    /** {@code --input-budget} and {@code --output-budget}; each defaults to a quarter of the heap. */
    private static void budget(Args args, QmpServer.Builder b) {
        String in = args.get("--input-budget", null);
        String out = args.get("--output-budget", null);
        if (in == null && out == null) {
            return;
        }
        QmpServerConfig.MemoryBudget d = D.memoryBudget();
        b.memoryBudget(new QmpServerConfig.MemoryBudget(in == null ? d.input() : MachineConfig.parseSize(in),
                out == null ? d.output() : MachineConfig.parseSize(out), d.inputWait()));
    }

    /** A --schema argument that names a readable file, or a usage error saying what is wrong with it. */
    private static Path schemaFile(String name) {
        Path p = Path.of(name);
        if (!Files.exists(p)) {
            throw new Args.UsageException("--schema " + name + ": the file does not exist");
        }
        if (Files.isDirectory(p)) {
            throw new Args.UsageException("--schema " + name + ": is a directory, not a QAPI schema file");
        }
        if (!Files.isReadable(p)) {
            throw new Args.UsageException("--schema " + name + ": the file is not readable (check its permissions)");
        }
        return p;
    }

    /** {@code serve --replay}: a server that answers from a recording. */
    private static int replay(Path file, List<String> endpoints, Args args, PrintStream out, PrintStream err,
                              CountDownLatch stop) {
        Replay replay;
        try {
            replay = Replay.load(file);
        } catch (IOException e) {
            err.println("jqmp serve: cannot read the recording " + file + ": " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("jqmp serve: " + e.getMessage());
            return 2;
        }
        QmpServer server;
        try {
            QmpServer.Builder b = QmpServer.builder().version(replay.version()).offerOob(replay.offersOob())
                    .forwarder(replay).maxConnections(args.getInt("--max-clients", D.maxConnections()));
            endpoints.forEach(b::listen);
            server = b.build();
            replay.attach(server);
            server.start();
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        } catch (IOException e) {
            err.println("jqmp serve: cannot listen: " + e.getMessage());
            return 2;
        }
        out.println("jqmp: replaying " + file + " on " + server.endpoints());
        out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            server.close();
            out.println("jqmp: stopped");
        }
        return 0;
    }

    private static MachineConfig machineConfig(Args args) {
        MachineConfig c = MachineConfig.defaults().withName(args.get("--name", null));
        String memory = args.get("--memory", null);
        if (memory != null) {
            long bytes = MachineConfig.parseSize(memory);
            if (bytes % 4096 != 0) {
                throw new IllegalArgumentException("--memory must be a multiple of 4K (4 KiB pages), got " + memory);
            }
            c = c.withMemory(bytes);
        }
        String rate = args.get("--dirty-rate", null);
        if (rate != null) {
            try {
                c = c.withDirtyRate(Long.parseLong(rate));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--dirty-rate needs a whole number of pages per second, got '" + rate + "'");
            }
        }
        return c.withIncoming(args.get("--incoming", null));
    }

    /** A CPU number of this machine, for the pin options. */
    static int cpuNumber(String option, String text) {
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            int cpu = Integer.parseInt(text);
            if (cpu >= 0 && cpu < cpus) {
                return cpu;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a CPU number from 0 to " + (cpus - 1) + ", got '" + text + "'");
    }

    private static String version(QmpServerConfig.Version v) {
        return v.major() + "." + v.minor() + "." + v.micro();
    }

    private static QmpServerConfig.Version parseVersion(String text, String packageName) {
        String[] parts = text.split("\\.");
        if (parts.length != 3) {
            throw new IllegalArgumentException("--qemu-version needs MAJOR.MINOR.MICRO, got '" + text + "'");
        }
        try {
            return new QmpServerConfig.Version(Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                    Long.parseLong(parts[2]), packageName);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--qemu-version needs numbers, got '" + text + "'");
        }
    }

    /**
     * A start-up error names the machine's declarations by what they are rather than by the
     * resource inside the jar, and says how to serve a schema's own declaration instead.
     */
    static String withoutMachineResource(String message, boolean machine) {
        String pattern = Pattern.quote(Machine.SCHEMA_RESOURCE) + ":\\d+";
        if (!machine || !Pattern.compile(pattern).matcher(message).find()) {
            return message;
        }
        return message.replaceAll(pattern, "the simulated machine's schema")
                + "\nchange the declaration to fit, or serve without the machine (--no-machine)";
    }
}
