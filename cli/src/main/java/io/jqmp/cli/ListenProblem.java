package io.jqmp.cli;

import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.net.BindException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.List;

/**
 * Says which endpoint {@code jqmp serve} could not listen on, why, and what to do. Stateless;
 * runs on the thread that sets up {@code jqmp serve}.
 */
final class ListenProblem {
    private ListenProblem() {
    }

    /** Two lines: the endpoint and the reason, then the fix. */
    static String describe(List<Endpoint> endpoints, IOException e) {
        if (e instanceof FileAlreadyExistsException f && f.getFile() != null) {
            Path taken = Path.of(f.getFile()).toAbsolutePath().normalize();
            for (Endpoint ep : endpoints) {
                if (ep instanceof Endpoint.Unix u && u.path().toAbsolutePath().normalize().equals(taken)) {
                    return "cannot listen on " + ep + ": " + (f.getReason() == null ? "the path exists" : f.getReason())
                            + "\nstop the server that uses " + u.path() + " (or move the file away if it is not one),"
                            + " or listen elsewhere with --qmp unix:PATH (--qmp replaces the default endpoints)";
                }
            }
        }
        if (e instanceof BindException) {
            for (Endpoint ep : endpoints) {
                if (ep instanceof Endpoint.Tcp t && !canBind(t)) {
                    return "cannot listen on " + ep + ": " + e.getMessage() + "\nanother program (perhaps another"
                            + " 'jqmp serve') listens on port " + t.port() + ": stop it, or choose another port with"
                            + " --qmp tcp:" + t.host() + ":PORT (--qmp replaces the default endpoints)";
                }
            }
        }
        return "cannot listen on " + endpoints.stream().map(Endpoint::toString).toList() + ": " + e
                + "\ncheck that the paths are writable and the ports free, or choose others with --qmp";
    }

    private static boolean canBind(Endpoint.Tcp t) {
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(t.address());
            return true;
        } catch (IOException busy) {
            return false;
        }
    }
}
