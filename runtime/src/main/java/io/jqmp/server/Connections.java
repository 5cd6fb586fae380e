package io.jqmp.server;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The server's open connections: added on admission, removed on close, the target of events. Any thread. */
final class Connections {
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();

    void add(Connection c) {
        open.add(c);
    }

    void remove(Connection c) {
        open.remove(c);
    }

    int count() {
        return open.size();
    }

    List<Connection> snapshot() {
        return List.copyOf(open);
    }

    /** Sends an encoded event to every connection in command mode. Any thread; never blocks. */
    void broadcast(byte[] message) {
        for (Connection c : open) {
            if (c.commandMode()) {
                c.send(message);
            }
        }
    }
}
