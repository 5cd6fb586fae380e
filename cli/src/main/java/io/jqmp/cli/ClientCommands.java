package io.jqmp.cli;

import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpClientException;
import io.jqmp.client.QmpTimeoutException;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.server.Endpoint;
import io.jqmp.server.TlsCredentials;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What the client subcommands (call, shell, events) share. Stateless; thread-safe. */
final class ClientCommands {
    private ClientCommands() {
    }

    /** Where the client commands connect without an ENDPOINT: where {@code jqmp serve} listens by default. */
    static final String DEFAULT_ENDPOINT = "unix:./jqmp.sock";

    /** Exit status for a QMP error answer. */
    static final int QMP_ERROR = 1;
    /** Exit status for a usage or connection problem. */
    static final int CONNECTION = 2;

    /** Parses {@code --timeout SECONDS} (a positive number, fractions allowed). */
    static Duration timeout(Args args, double dfltSeconds) {
        String v = args.get("--timeout", null);
        double seconds = dfltSeconds;
        if (v != null) {
            try {
                seconds = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--timeout needs a number of seconds, got '" + v + "'");
            }
            if (!(seconds > 0) || seconds > 86_400) {
                throw new Args.UsageException("--timeout must be between 0 and 86400 seconds, got '" + v + "'");
            }
        }
        return Duration.ofNanos((long) (seconds * 1e9));
    }

    /** The option every client subcommand takes for {@code tls:} endpoints. */
    static final String TLS_CREDS = "--tls-creds";

    /** The line every client subcommand's usage has for {@link #TLS_CREDS}. */
    static final String TLS_USAGE = """
              --tls-creds DIR    for a tls:HOST:PORT endpoint: ca-cert.pem (the CA the server's
                                 certificate must chain to), and client-cert.pem and client-key.pem
                                 when the server verifies clients (as QEMU's tls-creds-x509)
            """;

    /**
     * A client builder for {@code endpoint}, with TLS credentials from {@code --tls-creds DIR} for a
     * {@code tls:} endpoint; a bad endpoint or unusable credentials are usage errors saying why.
     */
    static QmpClient.Builder builder(String endpoint, Args args) {
        Endpoint parsed;
        try {
            parsed = Endpoint.parse(endpoint);
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException(e.getMessage());
        }
        QmpClient.Builder b = QmpClient.builder(parsed);
        String creds = args.get(TLS_CREDS, null);
        boolean tls = parsed instanceof Endpoint.Tls;
        if (tls && creds == null) {
            throw new Args.UsageException(endpoint + " is a TLS endpoint: give " + TLS_CREDS + " DIR (a directory with "
                    + "ca-cert.pem, and client-cert.pem and client-key.pem if the server verifies clients)");
        }
        if (!tls && creds != null) {
            throw new Args.UsageException(TLS_CREDS + " is for tls:HOST:PORT endpoints, not " + endpoint);
        }
        if (tls) {
            try {
                b.tls(TlsCredentials.fromDirectory(Path.of(creds), TlsCredentials.Side.CLIENT, true));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException(e.getMessage());
            }
        }
        return b;
    }

    /**
     * Splits a client command's positional arguments into the endpoint and the rest: the first
     * one is the endpoint when it has a colon ({@code unix:PATH}, {@code tcp:HOST:PORT}; command
     * names never do), else the endpoint is {@link #DEFAULT_ENDPOINT}.
     */
    static Positional positional(List<String> args) {
        if (!args.isEmpty() && args.get(0).contains(":")) {
            return new Positional(args.get(0), false, args.subList(1, args.size()));
        }
        return new Positional(DEFAULT_ENDPOINT, true, args);
    }

    /** The endpoint, whether it is the default, and the positional arguments after it. */
    record Positional(String endpoint, boolean defaulted, List<String> rest) {
    }

    /** A connection problem or a timeout on stderr, with what to check; returns {@link #CONNECTION}. */
    static int connectionProblem(String command, Positional where, QmpClientException e, java.io.PrintStream err) {
        String endpoint = where.endpoint();
        err.println("jqmp " + command + ": " + e.getMessage());
        if (where.defaulted() && !(e instanceof QmpTimeoutException)) {
            err.println("no ENDPOINT was given, so jqmp " + command + " tried " + endpoint + ", where './jqmp serve'"
                    + " listens by default: start './jqmp serve' in this directory, or name the server, e.g."
                    + " 'jqmp " + command + " unix:/path/to/qmp.sock ...' or 'jqmp " + command + " tcp:127.0.0.1:4444 ...'");
        } else if (e instanceof QmpTimeoutException) {
            err.println("check that the server at " + endpoint + " is responsive (a busy main loop delays in-band"
                    + " commands) or raise --timeout");
        } else {
            err.println("check that QEMU (-qmp " + endpoint + ",server=on,wait=off) or 'jqmp serve --qmp " + endpoint
                    + "' is running, that the path or port is right, and that no other client holds the socket");
        }
        return CONNECTION;
    }

    /**
     * Parses one JSON value from {@code text} with the project's parser (QEMU's JSON dialect,
     * single-quoted strings included).
     *
     * @return the value, or {@code null} wrapped as {@code Parsed(null)}; {@code null} if the text
     *     is not exactly one JSON value
     */
    static Parsed parseJson(String text) {
        JsonStreamer s = new JsonStreamer();
        // A trailing space completes a bare number or keyword, which needs a byte after it.
        List<JsonResult> results = s.feedAll((text + " ").getBytes(StandardCharsets.UTF_8));
        if (results.size() != 1 || !(results.get(0) instanceof JsonResult.Value v)) {
            return null;
        }
        return new Parsed(v.value());
    }

    /** A successfully parsed JSON value (which may be JSON null). */
    record Parsed(Object value) {
    }

    /** Parses a JSON object given on the command line, or throws a usage error saying why. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseArguments(String text) {
        Parsed p = parseJson(text);
        if (p == null || !(p.value() instanceof Map)) {
            throw new Args.UsageException("the arguments must be one JSON object, e.g. '{\"lock\": false}', got '"
                    + text + "'");
        }
        return (Map<String, Object>) p.value();
    }
}
