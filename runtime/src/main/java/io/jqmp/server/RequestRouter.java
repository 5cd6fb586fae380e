package io.jqmp.server;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.Messages;
import io.jqmp.protocol.QmpException;
import io.jqmp.internal.wire.Request;
import io.jqmp.internal.wire.RequestChecker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides, for each parsed input of one connection, who answers it: the reader itself
 * (negotiation, and errors that may be answered at once), the monitor thread (out-of-band
 * commands) or the main loop (in-band commands, and errors that must wait their turn).
 *
 * <p>Reader thread of its connection only.
 */
final class RequestRouter {
    private final QmpServer server;
    private final Connection conn;
    private final Dialect dialect;
    private final Commands commands;

    RequestRouter(QmpServer server, Connection conn) {
        this.server = server;
        this.conn = conn;
        this.dialect = server.config().dialect();
        this.commands = server.commands();
    }

    /** Sends the greeting; called first on the reader thread, before any input is read. */
    void greet() {
        conn.send(server.greetingBytes());
    }

    /** Routes one parse result. */
    void route(JsonResult result) {
        if (result instanceof JsonResult.Error e) {
            String desc = dialect == Dialect.V2_12 ? desc212(e.desc()) : e.desc();
            answerInOrder(server.encode(Messages.error(ErrorClass.GenericError, desc, null)));
            return;
        }
        Object value = ((JsonResult.Value) result).value();
        if (dialect == Dialect.V2_12) {
            route212(value);
        } else {
            routeCurrent(value);
        }
    }

    /** 2.12 reported lexical and limit errors only as "Invalid JSON syntax"; grammar errors kept their text. */
    private static String desc212(String desc) {
        return desc.startsWith("JSON parse error, stray") || desc.endsWith("limit exceeded") ? "Invalid JSON syntax" : desc;
    }

    private void routeCurrent(Object value) {
        Request.Id id = RequestChecker.idOf(value);
        boolean looksOob = RequestChecker.looksOutOfBand(value);
        Commands.Call call;
        try {
            Request request = RequestChecker.check(value, conn.oobEnabled());
            call = commands.resolve(request, conn.commandMode());
        } catch (QmpException e) {
            byte[] rsp = server.encode(Messages.error(e, id));
            if (looksOob) {
                conn.send(rsp);
            } else {
                answerInOrder(rsp);
            }
            return;
        }
        dispatch(call);
    }

    /**
     * The 2.12 order: shape, lookup, OOB permission, then the mandatory id; every error up to
     * here is answered at once and without an id, as 2.12 did. Argument and handler errors carry
     * the id.
     */
    private void route212(Object value) {
        Commands.Call call;
        try {
            Request request = RequestChecker.check212(value, conn.oobEnabled());
            call = resolve212(request);
        } catch (QmpException e) {
            conn.send(server.encode(Messages.error(e, null)));
            return;
        }
        if (call != null) {
            dispatch(call);
        }
    }

    private Commands.Call resolve212(Request request) {
        Commands.Call call = commands.lookup(request, conn.commandMode());
        if (request.outOfBand() && !conn.oobEnabled()) {
            throw new QmpException("Please enable Out-Of-Band first for the session during capabilities negotiation");
        }
        if (request.outOfBand() && !call.def().allowOob()) {
            throw new QmpException("The command " + request.command() + " does not support OOB");
        }
        if (conn.oobEnabled() && request.id() == null) {
            throw new QmpException("Out-Of-Band capability requires that every command contains an 'id' field");
        }
        try {
            return commands.validate(call);
        } catch (QmpException e) {
            // Argument errors came from the command's marshaller in 2.12 and carried the id.
            conn.send(server.encode(Messages.error(e, request.id())));
            return null;
        }
    }

    private void dispatch(Commands.Call call) {
        if (!conn.commandMode()) {
            // Negotiation never waits for the main loop: only qmp_capabilities is callable here.
            negotiate(call);
        } else if (call.request().outOfBand()) {
            submitOob(call);
        } else {
            submitInband(call);
        }
    }

    private void negotiate(Commands.Call call) {
        Request.Id id = call.request().id();
        List<String> wanted = new ArrayList<>();
        if (call.arguments().get("enable") instanceof List<?> list) {
            for (Object o : list) {
                wanted.add((String) o);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String cap : wanted) {
            if (!server.offeredCapabilities().contains(cap) && !missing.contains(cap)) {
                missing.add(cap);
            }
        }
        if (!missing.isEmpty()) {
            String desc = dialect == Dialect.V2_12
                    ? "This monitor does not support Out-Of-Band (OOB)"
                    : "Capability " + String.join(", ", missing) + " not available";
            conn.send(server.encode(Messages.error(ErrorClass.GenericError, desc, id)));
            return;
        }
        conn.send(server.encode(Messages.success(new LinkedHashMap<String, Object>(), id)));
        conn.enterCommandMode(wanted.contains("oob"));
    }

    private void submitOob(Commands.Call call) {
        Runnable task = () -> {
            if (!conn.isClosed()) {
                byte[] rsp = commands.execute(call, conn, true);
                if (rsp != null) {
                    conn.send(rsp);
                }
            }
        };
        while (!server.monitor().submitOob(task)) {
            // The monitor's queue is full: wait for room, never drop an OOB request.
            if (conn.isClosed()) {
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private void submitInband(Commands.Call call) {
        if (dialect == Dialect.V2_12 && conn.oobEnabled()
                && conn.queued.get() >= server.config().maxPendingInband()) {
            dropCommand(call.request().id());
            return;
        }
        enqueue(() -> commands.execute(call, conn, false));
    }

    /**
     * 2.12: a full queue drops the request (no answer) and emits COMMAND_DROPPED, which, like any
     * event, goes to every client in command mode.
     */
    private void dropCommand(Request.Id id) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", id == null ? null : id.value());
        data.put("reason", "queue-full");
        server.events().emit("COMMAND_DROPPED", data);
    }

    /**
     * Answers an in-band error in its turn: at once when nothing of this connection is waiting
     * or running (so nothing it could overtake), else after the in-band work before it.
     */
    private void answerInOrder(byte[] response) {
        if (!conn.commandMode() || conn.inFlight.get() == 0 || dialect == Dialect.V2_12) {
            conn.send(response);
        } else {
            enqueue(() -> response);
        }
    }

    /** Hands one in-band step to the main loop; its result (if any) is this connection's next answer. */
    private void enqueue(java.util.function.Supplier<byte[]> work) {
        conn.queued.incrementAndGet();
        conn.inFlight.incrementAndGet();
        Runnable task = () -> {
            conn.queued.decrementAndGet();
            conn.wakeReader();
            try {
                if (!conn.isClosed()) {
                    byte[] rsp = work.get();
                    if (rsp != null) {
                        conn.send(rsp);
                    }
                }
            } finally {
                conn.inFlight.decrementAndGet();
                conn.wakeReader();
            }
        };
        while (!server.mainLoop().submit(task)) {
            if (conn.isClosed()) {
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }
}
