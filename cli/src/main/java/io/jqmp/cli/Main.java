package io.jqmp.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The {@code jqmp} command line: dispatches to a subcommand. */
public final class Main {
    private Main() {
    }

    static final String USAGE = """
            usage: jqmp COMMAND [OPTIONS]

            commands:
              serve    run a QMP server (default: unix:./jqmp.sock and tcp:127.0.0.1:4444)
              call     run one command on a QMP server and print its answer
              shell    an interactive QMP shell with history and completion
              events   print a QMP server's events as JSON lines
              proxy    serve many QMP clients on one QEMU monitor (out-of-band, events, recording)
              help     show this text, or 'jqmp help COMMAND' for one command

            call, shell and events connect to unix:./jqmp.sock unless given an ENDPOINT
            (unix:PATH, tcp:HOST:PORT or tls:HOST:PORT), e.g. 'jqmp call query-status'.

            run by the ./jqmp launcher (they build other modules):
              test     build and run the test suite
              bench    JMH benchmarks against jqmp and QEMU; writes docs/benchmarks.md (--quick: ~2 min)
              stress   bounded stress scenarios: flood, hostile, connections, postcopy, all
              fuzz     a coverage-guided fuzzing session: streamer, streamer-small, request, schema
              build    rebuild the runtime jar

            Options may come before or after positional arguments.
            """;

    public static void main(String[] argv) {
        System.exit(run(Arrays.asList(argv), System.out, System.err));
    }

    /** Runs the command line; returns the exit status (0 ok, 1 failure, 2 usage or connection problem). */
    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("-h")) {
            out.print(USAGE);
            return 0;
        }
        String command = argv.get(0);
        List<String> rest = argv.subList(1, argv.size());
        try {
            return switch (command) {
                case "serve" -> rest.contains("--help") ? help("serve", out) : ServeCommand.run(rest, out, err);
                case "call" -> rest.contains("--help") ? help("call", out) : CallCommand.run(rest, out, err);
                case "shell" -> rest.contains("--help") ? help("shell", out) : ShellCommand.run(rest, out, err);
                case "events" -> rest.contains("--help") ? help("events", out) : EventsCommand.run(rest, out, err);
                case "proxy" -> rest.contains("--help") ? help("proxy", out) : ProxyCommand.run(rest, out, err);
                case "help" -> rest.isEmpty() ? help(null, out) : help(rest.get(0), out);
                default -> {
                    err.println("jqmp: unknown command '" + command + "'");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (Args.UsageException e) {
            err.println("jqmp " + command + ": " + e.getMessage());
            err.println(command.equals("help") ? "run 'jqmp help' for the list"
                    : "run 'jqmp help " + command + "' for the options");
            return 2;
        }
    }

    /** The launcher's own commands (the ./jqmp script runs them; this class only describes them). */
    static final String LAUNCHER_USAGE = """
            usage: ./jqmp test [MAVEN OPTIONS]
                   ./jqmp bench [--quick | --rewrite]
                   ./jqmp bench --proxy [--rounds N] [--samples N] [--seconds S] [--out FILE]
                   ./jqmp stress SCENARIO [OPTIONS]   (./jqmp stress --help lists them)
                   ./jqmp fuzz TARGET [--duration 60s]
                   ./jqmp build

            These are run by the ./jqmp script in a source checkout, because they build other
            modules: test runs the whole test suite (installing qemu-system-x86 first when it is
            missing and apt-get may be used); bench writes docs/benchmarks.md, bench --proxy measures
            jqmp proxy against QEMU 7.2 direct (docs/proxy.md); stress and fuzz are
            described in docs/stress.md; build rebuilds the command-line jar.
            """;

    private static int help(String command, PrintStream out) {
        switch (command == null ? "" : command) {
            case "serve" -> out.print(ServeCommand.USAGE);
            case "call" -> out.print(CallCommand.USAGE);
            case "shell" -> out.print(ShellCommand.USAGE);
            case "events" -> out.print(EventsCommand.USAGE);
            case "proxy" -> out.print(ProxyCommand.USAGE);
            case "test", "bench", "stress", "fuzz", "build" -> out.print(LAUNCHER_USAGE);
            case "", "help" -> out.print(USAGE);
            default -> throw new Args.UsageException("no command '" + command + "'; the commands are serve, call,"
                    + " shell, events, proxy, test, bench, stress, fuzz and build");
        }
        return 0;
    }
}
