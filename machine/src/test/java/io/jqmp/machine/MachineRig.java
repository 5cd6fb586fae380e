package io.jqmp.machine;

import io.jqmp.client.QmpConnectionException;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.nio.file.Path;

/** A machine behind its own QMP server on a Unix socket, for tests. */
final class MachineRig implements AutoCloseable {
    final Machine machine;
    final QmpServer server;
    final Path socket;

    MachineRig(Path dir, String name, MachineConfig config) throws IOException {
        this.socket = dir.resolve(name + ".qmp");
        this.machine = new Machine(config.withName(name));
        this.server = machine.install(QmpServer.builder().listen("unix:" + socket)).build();
        machine.start(server);
        server.start();
    }

    QmpPeer connect() throws QmpConnectionException {
        return QmpPeer.connect(socket);
    }

    @Override
    public void close() {
        machine.close(); // first: fails page waits, so a blocked main loop lets the server stop
        server.close();
    }
}
