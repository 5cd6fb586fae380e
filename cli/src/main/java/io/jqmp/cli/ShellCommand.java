package io.jqmp.cli;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.client.QmpTimeoutException;
import io.jqmp.internal.wire.JsonWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code jqmp shell [ENDPOINT]}: an interactive QMP shell in the manner of QEMU's qmp-shell, with
 * line editing, history and TAB completion (JLine). Runs on the calling thread; events are printed
 * above the prompt as they arrive, events and answers in their order on the wire ({@link WireOrder}).
 */
final class ShellCommand {
    private ShellCommand() {
    }

    static final String USAGE = """
            usage: jqmp shell [ENDPOINT] [--timeout SECONDS] [--no-oob] [--history FILE] [--tls-creds DIR]

            An interactive QMP shell. ENDPOINT is unix:PATH, tcp:HOST:PORT or tls:HOST:PORT; without it,
            unix:./jqmp.sock, where 'jqmp serve' listens by default. Type a command and its
            arguments as key=value pairs:

              (QEMU) query-version
              (QEMU) blockdev-add driver=null-co node-name=n0 read-zeroes=true
              (QEMU) set-target celsius=21.5 reason="a long text"
              (QEMU) !query-yank              the ! prefix (or -o as first word) sends it out-of-band
              (QEMU) {"execute": "query-status"}   a whole JSON request

            Values are JSON when they parse as one JSON value, else strings; a.b=1 makes nested objects.
            TAB completes command names and argument names. Events are printed as they arrive, in
            their order on the wire relative to the answers.
            Ctrl-D quits; history is kept in ~/.jqmp_history unless --history says otherwise.

              --timeout SECONDS  for connecting and for each command (default 30)
              --no-oob           do not enable the oob capability
            """ + ClientCommands.TLS_USAGE;

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        Args args = Args.parse(argv, Set.of("--timeout", "--history", ClientCommands.TLS_CREDS), Set.of("--no-oob"));
        if (args.positional.size() > 1) {
            throw new Args.UsageException("unexpected argument '" + args.positional.get(1) + "' (expected at most ENDPOINT:"
                    + " unix:PATH, tcp:HOST:PORT or tls:HOST:PORT)");
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            return run(args, terminal, err);
        } catch (IOException e) {
            err.println("jqmp shell: cannot open the terminal: " + e.getMessage());
            return ClientCommands.CONNECTION;
        }
    }

    /** Runs the shell on {@code terminal} until end of input; returns the exit status. */
    static int run(Args args, Terminal terminal, PrintStream err) {
        ClientCommands.Positional where = ClientCommands.positional(args.positional);
        String endpoint = where.endpoint();
        Duration timeout = ClientCommands.timeout(args, 30);
        QmpClient.Builder b = ClientCommands.builder(endpoint, args).connectTimeout(timeout).commandTimeout(timeout);
        if (args.flag("--no-oob")) {
            b.oob(false);
        }
        String historyFile = args.get("--history", Path.of(System.getProperty("user.home"), ".jqmp_history").toString());
        // Events may come before the line reader exists; they go straight to the terminal then.
        WireOrder screen = new WireOrder(text -> {
            terminal.writer().println(text);
            terminal.writer().flush();
        });
        // The filter runs on the client's reader thread, in arrival order: it prints, and the
        // subscription's own delivery thread gets nothing.
        b.onEvent(screen::event, e -> { });
        try (QmpClient qmp = b.connect()) {
            ShellCompletion completion = completion(qmp);
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("jqmp")
                    .completer((r, line, candidates) -> {
                        for (String c : completion.candidates(line.words(), line.wordIndex())) {
                            // "name=" stays open for the value; a command name gets a space.
                            candidates.add(new Candidate(c, c, null, null, null, null, !c.endsWith("=")));
                        }
                    })
                    .variable(LineReader.HISTORY_FILE, Path.of(historyFile))
                    .build();
            screen.print("Connected to " + endpoint + " (" + version(qmp) + (qmp.oobEnabled()
                    ? ", oob enabled" : "") + "). " + completion.commands().size()
                    + " commands; TAB completes, Ctrl-D quits.");
            screen.printTo(reader::printAbove);
            while (true) {
                String line;
                try {
                    line = reader.readLine("(QEMU) ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                if (!qmp.isOpen()) {
                    screen.print("connection lost: " + qmp.closeCause().getMessage());
                    return ClientCommands.CONNECTION;
                }
                if (!execute(qmp, line, screen)) {
                    screen.print("interrupted");
                    return ClientCommands.CONNECTION;
                }
            }
            return 0;
        } catch (QmpConnectionException e) {
            return ClientCommands.connectionProblem("shell", where, e, err);
        }
    }

    /**
     * Runs one input line and prints its answer, or why there is none, in wire order; returns
     * once it is printed (false if interrupted while waiting).
     */
    static boolean execute(QmpClient qmp, String line, WireOrder screen) {
        ShellSyntax.Command c;
        try {
            c = ShellSyntax.parse(line);
        } catch (IllegalArgumentException e) {
            screen.print("error: " + e.getMessage());
            return true;
        }
        if (c == null) {
            screen.print("");
            return true;
        }
        try {
            screen.command(() -> c.oob() ? qmp.executeOob(c.name(), c.arguments()) : qmp.execute(c.name(), c.arguments()),
                    ShellCommand::answer).get();
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            screen.print("error: " + e.getCause());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What the shell prints for a command's outcome. */
    static String answer(Object result, Throwable failure) {
        if (failure instanceof QmpErrorException e) {
            return e.errorClass() + ": " + e.desc();
        }
        if (failure != null) {
            return "error: " + failure.getMessage();
        }
        // QEMU's pretty form of {} is "{\n}"; a shell reads better with "{}".
        return result instanceof Map<?, ?> m && m.isEmpty() ? "{}" : JsonWriter.toJson(result, true);
    }

    private static String version(QmpClient qmp) {
        if (qmp.greeting().get("QMP") instanceof Map<?, ?> g && g.get("version") instanceof Map<?, ?> v
                && v.get("qemu") instanceof Map<?, ?> q) {
            return "QEMU " + q.get("major") + "." + q.get("minor") + "." + q.get("micro");
        }
        return "QMP";
    }

    /** Command names and schema from the server; a server without introspection gives names only. */
    private static ShellCompletion completion(QmpClient qmp) {
        List<String> names = new ArrayList<>();
        try {
            if (qmp.call("query-commands", null) instanceof List<?> list) {
                for (Object o : list) {
                    if (o instanceof Map<?, ?> m && m.get("name") instanceof String n) {
                        names.add(n);
                    }
                }
            }
        } catch (QmpErrorException | QmpTimeoutException | QmpConnectionException e) {
            // completion is a convenience: go on without it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<?> schema = null;
        try {
            if (qmp.call("query-qmp-schema", null) instanceof List<?> list) {
                schema = list;
            }
        } catch (QmpErrorException | QmpTimeoutException | QmpConnectionException e) {
            // names only
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new ShellCompletion(names, schema);
    }
}
