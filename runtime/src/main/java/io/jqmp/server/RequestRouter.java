package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.protocol.ErrorClass;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.internal.wire.Messages;
import io.jqmp.internal.wire.Request;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, for each parsed input of one connection, who answers it: the reader itself
 * (negotiation, and errors that may be answered at once), or, through the connection's
 * {@link RequestFlow}, the monitor thread (out-of-band commands) or the main loop (in-band
 * commands, and errors that must wait their turn). What differs between dialects is the {@link DialectRules}'.
 *
 * <p>Reader thread of its connection only.
 */
final class RequestRouter {
    private final DialectRules rules;
    private final Commands commands;
    private final Encoder encoder;
    private final Greeting greeting;
    private final Events events;
    private final Connection session;
    private final RequestFlow flow;
    private final Outbound out;

    /**
     * @param session the connection: its negotiation state, and the session handlers see
     * @param flow    its in-band flow control
     * @param out     its writer
     */
    RequestRouter(DialectRules rules, Commands commands, Encoder encoder, Greeting greeting, Events events, Connection session, RequestFlow flow, Outbound out) {
        this.rules = rules;
        this.commands = commands;
        this.encoder = encoder;
        this.greeting = greeting;
        this.events = events;
        this.session = session;
        this.flow = flow;
        this.out = out;
    }

    /** Sends the greeting; called first on the reader thread, before any input is read. */
    void greet() {
        out.send(greeting.bytes());
    }

    /**
     * Routes one parse result; {@code event}, null unless a recording wants it, follows the
     * command to its answer (errors and negotiation are not commands run by an executor: it is
     * dropped for them).
     */
    void route(JsonResult result, CommandEvent event) {
        switch (rules.check(result, session.commandMode(), session.oobEnabled())) {
            case DialectRules.Run run -> dispatch(run.call(), event);
            case DialectRules.Reject reject -> {
                byte[] answer = encoder.encode(Messages.error(reject.error(), reject.id()));
                if (reject.inOrder()) {
                    flow.answerInOrder(answer);
                } else {
                    out.send(answer);
                }
            }
        }
    }

    private void dispatch(Commands.Call call, CommandEvent event) {
        Request request = call.request();
        if (!session.commandMode()) {
            // Negotiation never waits for the main loop: only qmp_capabilities is callable here.
            negotiate(call);
            return;
        }
        if (event != null) {
            event.identify(request.command(), request.id() == null ? null : JsonWriter.toJson(request.id().value()),
                    request.outOfBand());
        }
        if (request.outOfBand()) {
            flow.submitOob(() -> commands.execute(call, session, true), event);
        } else if (!flow.submit(() -> commands.execute(call, session, false), event)) {
            dropCommand(request.id());
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
            if (!greeting.capabilities().contains(cap) && !missing.contains(cap)) {
                missing.add(cap);
            }
        }
        if (!missing.isEmpty()) {
            out.send(encoder.encode(Messages.error(ErrorClass.GenericError, rules.capabilitiesUnavailable(missing), id)));
            return;
        }
        out.send(encoder.encode(Messages.success(new LinkedHashMap<String, Object>(), id)));
        session.enterCommandMode(wanted.contains("oob"));
    }

    /**
     * 2.12: a full queue drops the request (no answer) and emits COMMAND_DROPPED, which, like any
     * event, goes to every client in command mode.
     */
    private void dropCommand(Request.Id id) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", id == null ? null : id.value());
        data.put("reason", "queue-full");
        events.emit("COMMAND_DROPPED", data);
    }
}
