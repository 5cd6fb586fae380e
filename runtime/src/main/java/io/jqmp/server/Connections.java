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

    /**
     * The open connection with the most unread output, or null when none has any. Connections
     * closing meanwhile are skipped: their output is off the budget already. Any thread.
     */
    Connection largestUnreadOutput() {
        Connection largest = null;
        long most = 0;
        for (Connection c : open) {
            long u = c.unreadOutput();
            if (u > most && !c.isClosed()) {
                most = u;
                largest = c;
            }
        }
        return largest;
    }

    /**
     * Sends an encoded event to every connection in command mode. Any thread; never blocks (but
     * for a connection whose reader is queueing its negotiation answer right now, the moment that
     * takes: {@link Connection#sendEvent}).
     */
    void broadcast(byte[] message) {
        for (Connection c : open) {
            c.sendEvent(message);
        }
    }
}
