package io.jqmp.machine;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.protocol.QmpException;
import io.jqmp.server.Endpoint;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A machine's migration: status, capabilities, parameters, statistics, the current channel and
 * the QMP commands that drive them, on either side (source or destination).
 *
 * <p>Threading: state is guarded by {@link #lock}, held only for short updates, never across I/O
 * or a wait, so out-of-band handlers on the monitor thread may take it. It is never the BQL, and
 * the migration threads never take the BQL.
 */
final class Migration {
    private static final System.Logger LOG = System.getLogger(Migration.class.getName());

    static final List<String> CAPABILITIES = List.of("xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks",
            "compress", "events", "postcopy-ram", "x-colo", "release-ram", "block", "return-path",
            "pause-before-switchover", "multifd", "dirty-bitmaps", "postcopy-blocktime", "late-block-activate",
            "x-ignore-shared", "validate-uuid", "background-snapshot", "zero-copy-send", "postcopy-preempt");
    /** Capabilities with an effect here (return-path is always on: the simulation always has one). */
    private static final Set<String> SIMULATED = Set.of("events", "postcopy-ram", "return-path");
    private static final Set<String> SIMULATED_PARAMETERS = Set.of("max-bandwidth", "downtime-limit",
            "max-postcopy-bandwidth");
    private static final Set<String> RUNNING = Set.of("setup", "cancelling", "active", "postcopy-active",
            "postcopy-paused", "postcopy-recover", "pre-switchover", "device", "wait-unplug");

    enum Role { NONE, SOURCE, DESTINATION }

    final Machine machine;
    final GuestMemory memory;
    final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private String status = "none";
    private Role role = Role.NONE;
    private final Map<String, Boolean> capabilities = new LinkedHashMap<>();
    private MigrationChannel channel;
    private PendingFault pendingFault;
    private Outgoing outgoing;
    private Incoming incoming;
    private boolean incomingAllowed;
    private boolean incomingStarted;
    private long startNanos;
    private long endNanos;

    // Parameters: written in-band, read by the migration threads.
    volatile long maxBandwidth = 128L << 20;
    volatile long downtimeLimit = 300;
    volatile long maxPostcopyBandwidth = 0;
    volatile boolean postcopyRequested;

    // Statistics, written by the migration threads.
    final AtomicLong transferred = new AtomicLong();
    final AtomicLong precopyBytes = new AtomicLong();
    final AtomicLong downtimeBytes = new AtomicLong();
    final AtomicLong postcopyBytes = new AtomicLong();
    final AtomicLong normalPages = new AtomicLong();
    final AtomicLong dirtySyncCount = new AtomicLong();
    final AtomicLong postcopyRequests = new AtomicLong();
    volatile long lastRecoveryNanos = -1;
    private long recoverStartNanos;

    private record PendingFault(String action, long afterPages, long bandwidth) {
    }

    Migration(Machine machine, GuestMemory memory) {
        this.machine = machine;
        this.memory = memory;
        for (String c : CAPABILITIES) {
            capabilities.put(c, false);
        }
    }

    // ------------------------------------------------------------------ state

    String status() {
        lock.lock();
        try {
            return status;
        } finally {
            lock.unlock();
        }
    }

    Role role() {
        lock.lock();
        try {
            return role;
        } finally {
            lock.unlock();
        }
    }

    /** Moves from {@code from} to {@code to}; false (and nothing happens) if the status is not {@code from}. */
    boolean transition(String from, String to) {
        lock.lock();
        try {
            if (!status.equals(from)) {
                return false;
            }
            setStatusLocked(to);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void setStatusLocked(String to) {
        if (status.equals(to)) {
            return;
        }
        status = to;
        if (to.equals("postcopy-recover")) {
            recoverStartNanos = System.nanoTime();
        } else if (to.equals("postcopy-active") && recoverStartNanos != 0) {
            lastRecoveryNanos = System.nanoTime() - recoverStartNanos;
            recoverStartNanos = 0;
        }
        if (to.equals("completed") || to.equals("failed") || to.equals("cancelled")) {
            endNanos = System.nanoTime();
        }
        if (capabilities.get("events")) {
            // Emitted under the lock so that events leave in the order of the changes; emit never blocks.
            machine.emit("MIGRATION", Map.of("status", to));
        }
    }

    /** A new channel is connected: it becomes the current one and gets any armed fault. False if the migration moved on. */
    boolean attach(MigrationChannel ch, String expectedStatus) {
        lock.lock();
        try {
            if (!status.equals(expectedStatus)) {
                ch.close();
                return false;
            }
            channel = ch;
            if (pendingFault != null) {
                ch.fault(pendingFault.action(), pendingFault.afterPages(), pendingFault.bandwidth());
                pendingFault = null;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The channel broke (I/O error, peer gone, cut, yank, pause). Any thread; idempotent per
     * channel. Postcopy pauses; precopy fails (or, when cancelling, is cancelled) and the source
     * guest runs on.
     */
    void channelFailed(MigrationChannel ch, Exception cause) {
        ch.close();
        boolean resumeGuest = false;
        lock.lock();
        try {
            if (ch != channel) {
                return;
            }
            channel = null;
            switch (status) {
                case "postcopy-active", "postcopy-recover" -> setStatusLocked("postcopy-paused");
                case "setup", "active" -> {
                    setStatusLocked("failed");
                    resumeGuest = role == Role.SOURCE;
                }
                case "cancelling" -> {
                    setStatusLocked("cancelled");
                    resumeGuest = true;
                }
                default -> {
                    return;
                }
            }
            LOG.log(System.Logger.Level.INFO, "migration channel lost (" + role + ", now " + status + "): " + cause);
        } finally {
            lock.unlock();
        }
        if (resumeGuest) {
            machine.migrationFailed();
        }
    }

    /** A resume handshake could not connect: back to postcopy-paused. */
    void recoveryFailed(Exception cause) {
        lock.lock();
        try {
            if (status.equals("postcopy-recover")) {
                setStatusLocked("postcopy-paused");
            }
            LOG.log(System.Logger.Level.INFO, "postcopy recovery failed: " + cause);
        } finally {
            lock.unlock();
        }
    }

    void completed(MigrationChannel ch) {
        lock.lock();
        try {
            if (channel == ch) {
                channel = null;
            }
            setStatusLocked("completed");
        } finally {
            lock.unlock();
        }
        ch.close();
    }

    // ------------------------------------------------------------------ incoming at start

    /** Called once at machine start with {@code --incoming}: listen now, or wait for migrate-incoming ({@code defer}). */
    void startIncoming(String uri) throws IOException {
        lock.lock();
        try {
            role = Role.DESTINATION;
            incomingAllowed = true;
            if (uri.equals("defer")) {
                return;
            }
            incomingStarted = true;
            listenLocked(MigrationUri.parse(uri), false);
        } finally {
            lock.unlock();
        }
    }

    private void listenLocked(MigrationUri uri, boolean recovering) throws IOException {
        ServerSocketChannel server = uri.bind();
        incoming = new Incoming(this, uri, server, recovering);
        incoming.start();
    }

    // ------------------------------------------------------------------ commands

    /** migrate (in-band). */
    void migrate(String uriText, boolean resume) {
        lock.lock();
        try {
            if (resume) {
                if (!status.equals("postcopy-paused") || role != Role.SOURCE) {
                    throw new QmpException("Cannot resume if there is no paused migration");
                }
            } else {
                if (RUNNING.contains(status)) {
                    throw new QmpException("There's a migration process in progress");
                }
                if (machine.runState().equals("inmigrate")) {
                    throw new QmpException("Guest is waiting for an incoming migration");
                }
            }
            MigrationUri uri;
            try {
                uri = MigrationUri.parse(uriText);
            } catch (IllegalArgumentException e) {
                throw new QmpException("Parameter 'uri' expects a valid migration protocol");
            }
            if (resume) {
                setStatusLocked("postcopy-recover");
                outgoing.resume(uri);
                return;
            }
            role = Role.SOURCE;
            resetStats();
            postcopyRequested = false;
            startNanos = System.nanoTime();
            endNanos = 0;
            setStatusLocked("setup");
            outgoing = new Outgoing(this);
            outgoing.start(uri);
        } finally {
            lock.unlock();
        }
    }

    /** migrate-incoming (in-band). */
    void migrateIncoming(String uriText) {
        lock.lock();
        try {
            if (!incomingAllowed) {
                throw new QmpException("'-incoming' was not specified on the command line");
            }
            if (incomingStarted) {
                throw new QmpException("The incoming migration has already been started");
            }
            listenOn(uriText, false);
            incomingStarted = true;
        } finally {
            lock.unlock();
        }
    }

    /** migrate-recover (allow-oob): binds and starts a listener thread, then returns at once. */
    void migrateRecover(String uriText) {
        lock.lock();
        try {
            if (role != Role.DESTINATION || !status.equals("postcopy-paused")) {
                throw new QmpException("Migrate recover can only be run when postcopy is paused.");
            }
            if (incoming != null && incoming.listening()) {
                throw new QmpException("Migrate recovery is triggered already");
            }
            listenOn(uriText, true);
        } finally {
            lock.unlock();
        }
    }

    /** Parses {@code uriText} and starts listening on it; QMP errors for a bad URI or a failed bind. Lock held. */
    private void listenOn(String uriText, boolean recovering) {
        MigrationUri uri;
        try {
            uri = MigrationUri.parse(uriText);
        } catch (IllegalArgumentException e) {
            throw new QmpException(e.getMessage());
        }
        try {
            listenLocked(uri, recovering);
        } catch (IOException e) {
            throw new QmpException("Failed to listen on " + uriText + ": " + e.getMessage());
        }
    }

    /** migrate-pause (allow-oob): shuts the channel down; the I/O threads then pause the migration. */
    void migratePause() {
        MigrationChannel ch;
        lock.lock();
        try {
            if (!status.equals("postcopy-active")) {
                throw new QmpException("migrate-pause is currently only supported during postcopy-active state");
            }
            ch = channel;
            if (ch == null) {
                throw new QmpException(role == Role.SOURCE ? "Failed to pause source migration"
                        : "Failed to pause destination migration");
            }
        } finally {
            lock.unlock();
        }
        ch.close();
    }

    /** migrate_cancel (in-band). */
    void cancel() {
        MigrationChannel ch;
        lock.lock();
        try {
            if (role != Role.SOURCE) {
                return;
            }
            if (status.startsWith("postcopy-")) {
                throw new QmpException("Postcopy migration in progress, cannot cancel.");
            }
            if (!status.equals("setup") && !status.equals("active")) {
                return;
            }
            setStatusLocked("cancelling");
            ch = channel;
        } finally {
            lock.unlock();
        }
        if (ch != null) {
            ch.close();
        } else {
            outgoing.wake();
        }
    }

    /** migrate-start-postcopy (in-band). */
    void startPostcopy() {
        lock.lock();
        try {
            if (!capabilities.get("postcopy-ram")) {
                throw new QmpException("Enable postcopy with migrate_set_capability before the start of migration");
            }
            if (status.equals("none")) {
                throw new QmpException("Postcopy must be started after migration has been started");
            }
            postcopyRequested = true;
        } finally {
            lock.unlock();
        }
    }

    void setCapabilities(List<Object> list) {
        lock.lock();
        try {
            if (RUNNING.contains(status)) {
                throw new QmpException("There's a migration process in progress");
            }
            Map<String, Boolean> next = new LinkedHashMap<>(capabilities);
            for (Object o : list) {
                Map<?, ?> m = (Map<?, ?>) o;
                String cap = (String) m.get("capability");
                boolean state = Boolean.TRUE.equals(m.get("state"));
                if (state && !SIMULATED.contains(cap)) {
                    throw new QmpException("Migration capability '" + cap + "' is not simulated by this machine");
                }
                next.put(cap, state);
            }
            capabilities.putAll(next);
        } finally {
            lock.unlock();
        }
    }

    List<Object> queryCapabilities() {
        lock.lock();
        try {
            List<Object> out = new ArrayList<>();
            for (Map.Entry<String, Boolean> e : capabilities.entrySet()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("capability", e.getKey());
                m.put("state", e.getValue());
                out.add(m);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    void setParameters(Map<String, Object> args) {
        for (String p : args.keySet()) {
            if (!SIMULATED_PARAMETERS.contains(p)) {
                throw new QmpException("Migration parameter '" + p + "' is not simulated by this machine");
            }
        }
        if (args.get("downtime-limit") instanceof Number n && (n.longValue() < 0 || n.longValue() > 2_000_000)) {
            throw new QmpException("Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 milliseconds");
        }
        if (args.get("max-bandwidth") instanceof Number n) {
            maxBandwidth = n.longValue();
        }
        if (args.get("downtime-limit") instanceof Number n) {
            downtimeLimit = n.longValue();
        }
        if (args.get("max-postcopy-bandwidth") instanceof Number n) {
            maxPostcopyBandwidth = n.longValue();
        }
        Outgoing o;
        lock.lock();
        try {
            o = outgoing;
        } finally {
            lock.unlock();
        }
        if (o != null) {
            o.wake(); // a throttled sender picks up the new bandwidth now
        }
    }

    Map<String, Object> queryParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max-bandwidth", maxBandwidth);
        m.put("downtime-limit", downtimeLimit);
        m.put("max-postcopy-bandwidth", maxPostcopyBandwidth);
        return m;
    }

    Map<String, Object> queryMigrate() {
        lock.lock();
        try {
            Map<String, Object> info = new LinkedHashMap<>();
            if (status.equals("none")) {
                return info;
            }
            info.put("status", status);
            if (role != Role.SOURCE) {
                return info;
            }
            long now = endNanos != 0 ? endNanos : System.nanoTime();
            long elapsedMs = Math.max(1, (now - startNanos) / 1_000_000);
            info.put("total-time", elapsedMs);
            long pages = normalPages.get();
            long bytes = transferred.get();
            Map<String, Object> ram = new LinkedHashMap<>();
            ram.put("transferred", bytes);
            ram.put("remaining", memory.dirtyPages() * GuestMemory.PAGE_SIZE);
            ram.put("total", memory.size());
            ram.put("duplicate", 0L);
            ram.put("skipped", 0L);
            ram.put("normal", pages);
            ram.put("normal-bytes", pages * GuestMemory.PAGE_SIZE);
            ram.put("dirty-pages-rate", machine.config().dirtyRate());
            ram.put("mbps", bytes * 8.0 / 1000.0 / elapsedMs);
            ram.put("dirty-sync-count", dirtySyncCount.get());
            ram.put("postcopy-requests", postcopyRequests.get());
            ram.put("page-size", (long) GuestMemory.PAGE_SIZE);
            ram.put("multifd-bytes", 0L);
            ram.put("pages-per-second", pages * 1000 / elapsedMs);
            ram.put("precopy-bytes", precopyBytes.get());
            ram.put("downtime-bytes", downtimeBytes.get());
            ram.put("postcopy-bytes", postcopyBytes.get());
            ram.put("dirty-sync-missed-zero-copy", 0L);
            info.put("ram", ram);
            return info;
        } finally {
            lock.unlock();
        }
    }

    private void resetStats() {
        transferred.set(0);
        precopyBytes.set(0);
        downtimeBytes.set(0);
        postcopyBytes.set(0);
        normalPages.set(0);
        dirtySyncCount.set(0);
        postcopyRequests.set(0);
    }

    /** x-migration-fault (allow-oob): applies to the current channel, or to the next one when there is none. */
    void fault(String action, long afterPages, long bandwidth) {
        MigrationChannel ch;
        lock.lock();
        try {
            ch = channel;
            if (ch == null) {
                pendingFault = new PendingFault(action, afterPages, bandwidth);
                return;
            }
        } finally {
            lock.unlock();
        }
        ch.fault(action, afterPages, bandwidth);
    }

    // ------------------------------------------------------------------ yank

    private boolean yankRegisteredLocked() {
        return RUNNING.contains(status) || (incoming != null && incoming.listening());
    }

    List<Object> queryYank(List<Endpoint> monitors) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < monitors.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "chardev");
            m.put("id", "compat_monitor" + i);
            out.add(m);
        }
        lock.lock();
        try {
            if (yankRegisteredLocked()) {
                out.add(new LinkedHashMap<>(Map.of("type", "migration")));
            }
        } finally {
            lock.unlock();
        }
        return out;
    }

    /** yank (allow-oob): checks every instance first, then shuts the migration channel down. */
    void yank(List<Object> instances, List<Endpoint> monitors) {
        boolean migration = false;
        MigrationChannel ch;
        lock.lock();
        try {
            for (Object o : instances) {
                Map<?, ?> m = (Map<?, ?>) o;
                String type = (String) m.get("type");
                boolean found = switch (type) {
                    case "migration" -> yankRegisteredLocked();
                    case "chardev" -> {
                        String id = (String) m.get("id");
                        yield id.startsWith("compat_monitor") && id.substring(14).matches("\\d+")
                                && Integer.parseInt(id.substring(14)) < monitors.size();
                    }
                    default -> false;
                };
                if (!found) {
                    throw new QmpException(ErrorClass.DeviceNotFound, "Instance not found");
                }
                migration |= type.equals("migration");
            }
            ch = migration ? channel : null;
        } finally {
            lock.unlock();
        }
        if (ch != null) {
            ch.close();
        }
    }

    /** Stops every migration thread (machine shutdown). */
    void close() {
        MigrationChannel ch;
        Incoming in;
        Outgoing out;
        lock.lock();
        try {
            ch = channel;
            in = incoming;
            out = outgoing;
        } finally {
            lock.unlock();
        }
        if (ch != null) {
            ch.close();
        }
        if (in != null) {
            in.close();
        }
        if (out != null) {
            out.close();
        }
    }
}
