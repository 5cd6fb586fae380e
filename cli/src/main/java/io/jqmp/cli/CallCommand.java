package io.jqmp.cli;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpConnectionException;
import io.jqmp.client.QmpErrorException;
import io.jqmp.client.QmpTimeoutException;
import io.jqmp.internal.wire.JsonWriter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code jqmp call [ENDPOINT] COMMAND [ARGUMENTS]}: runs one command and prints its answer. Runs on
 * the calling thread and blocks at most twice the timeout (connecting, then the command).
 */
final class CallCommand {
    private CallCommand() {
    }

    static final String USAGE = """
            usage: jqmp call [ENDPOINT] COMMAND ['{"json": "arguments"}'] [--oob] [--timeout SECONDS] [--pretty]
                             [--tls-creds DIR]

            Connects to a QMP server, negotiates, runs COMMAND and prints its return value as JSON on
            stdout. ENDPOINT is unix:PATH, tcp:HOST:PORT or tls:HOST:PORT; without it,
            unix:./jqmp.sock, where 'jqmp serve' listens by default. For example:

              jqmp call query-status
              jqmp call unix:/tmp/qemu.sock migrate '{"uri": "tcp:127.0.0.1:4446"}'
              jqmp call tcp:127.0.0.1:4444 query-yank --oob
              jqmp call tls:qmp.example.com:4445 query-status --tls-creds ~/qmp-client

              --oob              send the command out-of-band (exec-oob); fails if oob is not offered
              --timeout SECONDS  for connecting and for the answer (default 30)
              --pretty           indent the output
            """ + ClientCommands.TLS_USAGE + """

            Exit status: 0 success; 1 the server answered an error (printed as CLASS: desc on
            stderr); 2 bad usage or a connection problem (the message says what to check).
            """;

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        Args args = Args.parse(argv, Set.of("--timeout", ClientCommands.TLS_CREDS), Set.of("--oob", "--pretty"));
        ClientCommands.Positional where = ClientCommands.positional(args.positional);
        List<String> rest = where.rest();
        if (rest.isEmpty() || rest.size() > 2) {
            throw new Args.UsageException("expected [ENDPOINT] COMMAND ['{\"json\": \"arguments\"}']");
        }
        String endpoint = where.endpoint();
        String command = rest.get(0);
        Map<String, Object> arguments = rest.size() == 2 ? ClientCommands.parseArguments(rest.get(1)) : null;
        Duration timeout = ClientCommands.timeout(args, 30);
        boolean oob = args.flag("--oob");
        QmpClient.Builder b = ClientCommands.builder(endpoint, args).connectTimeout(timeout).commandTimeout(timeout);
        if (oob) {
            b.oob(true);
        }
        try (QmpClient qmp = b.connect()) {
            Object result = oob ? qmp.callOob(command, arguments) : qmp.call(command, arguments);
            out.println(JsonWriter.toJson(result, args.flag("--pretty")));
            out.flush();
            return 0;
        } catch (QmpErrorException e) {
            err.println(e.errorClass() + ": " + e.desc());
            return ClientCommands.QMP_ERROR;
        } catch (QmpConnectionException | QmpTimeoutException e) {
            return ClientCommands.connectionProblem("call", where, e, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("jqmp call: interrupted");
            return ClientCommands.CONNECTION;
        }
    }
}
