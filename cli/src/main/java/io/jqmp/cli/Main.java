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
            err.println("run 'jqmp help " + command + "' for the options");
            return 2;
        }
    }

    private static int help(String command, PrintStream out) {
        if ("serve".equals(command)) {
            out.print(ServeCommand.USAGE);
        } else if ("call".equals(command)) {
            out.print(CallCommand.USAGE);
        } else if ("shell".equals(command)) {
            out.print(ShellCommand.USAGE);
        } else if ("events".equals(command)) {
            out.print(EventsCommand.USAGE);
        } else if ("proxy".equals(command)) {
            out.print(ProxyCommand.USAGE);
        } else {
            out.print(USAGE);
        }
        return 0;
    }
}
