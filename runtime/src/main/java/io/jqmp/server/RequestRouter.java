package io.jqmp.server;

import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.protocol.ErrorClass;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonWriter;
import io.jqmp.internal.wire.Messages;
import io.jqmp.internal.wire.Request;
import io.jqmp.internal.wire.RequestChecker;
import io.jqmp.protocol.QmpException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Decides, for each parsed input of one connection, who answers it: the reader itself
 * (negotiation, and errors that may be answered at once), or, through the connection's
 * {@link RequestFlow}, the monitor thread (out-of-band commands) or the main loop (in-band
 * commands, and errors that must wait their turn). What differs between dialects is the {@link DialectRules}'.
 *
 * <p>Reader thread of its connection only.
 */
final class RequestRouter {
    private static final System.Logger LOG = System.getLogger(RequestRouter.class.getName());
    private final DialectRules rules;
    private final Commands commands;
    private final Encoder encoder;
    private final Greeting greeting;
    private final Events events;
    private final Connection session;
    private final RequestFlow flow;
    private final Outbound out;
    /** Takes every request in command mode, or null. */
    private final RequestForwarder forwarder;

    /**
     * @param session the connection: its negotiation state, and the session handlers see
     * @param flow    its in-band flow control
     * @param out     its writer
     * @param forwarder takes every request once negotiated, or null
     */
    RequestRouter(DialectRules rules, Commands commands, Encoder encoder, Greeting greeting, Events events, Connection session, RequestFlow flow, Outbound out,
            RequestForwarder forwarder) {
        this.forwarder = forwarder;
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
     * command to its answer (errors, negotiation and forwarded requests are not commands run by
     * an executor: it is dropped for them).
     */
    void route(JsonResult result, CommandEvent event) {
        if (forwarder != null && session.commandMode() && result instanceof JsonResult.Value v) {
            forward(v.value());
            return;
        }
        switch (rules.check(result, session.commandMode(), session.oobEnabled())) {
            case DialectRules.Run run -> dispatch(run.call(), event);
            case DialectRules.Reject reject -> reject(reject);
        }
    }

    private void reject(DialectRules.Reject reject) {
        byte[] answer = encoder.encode(Messages.error(reject.error(), reject.id()));
        if (reject.inOrder()) {
            flow.answerInOrder(answer);
        } else {
            out.send(answer);
        }
    }

    /** Checks the request's shape (QEMU's texts) and hands it to the forwarder with a reply that keeps the order. */
    @SuppressWarnings("unchecked")
    private void forward(Object value) {
        Request request;
        try {
            request = RequestChecker.check(value, session.oobEnabled());
        } catch (QmpException e) {
            reject(new DialectRules.Reject(e, RequestChecker.idOf(value), !RequestChecker.looksOutOfBand(value)));
            return;
        }
        if (request.outOfBand()) {
            session.outOfBandUsed();
        }
        if (!session.enterForwarder()) {
            return; // the connection is closing
        }
        Consumer<byte[]> completion = request.outOfBand() ? flow.submitForwardedOob() : flow.submitForwarded();
        ForwardReply reply = new ForwardReply(request, completion);
        try {
            forwarder.forward(new RequestForwarder.ForwardedRequest(session, request.command(),
                    ((Map<String, Object>) value).containsKey("arguments") ? request.arguments() : null,
                    request.outOfBand(), (Map<String, Object>) value), reply);
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "forwarding " + request.command() + " failed", e);
            reply.error(ErrorClass.GenericError.name(), Commands.internalError(request.command()));
        } finally {
            session.leaveForwarder();
        }
    }

    /** Encodes a forwarded request's answer with the client's id; the first answer only. Any thread. */
    private final class ForwardReply implements RequestForwarder.Reply {
        private final Request request;
        private final Consumer<byte[]> completion;
        private final AtomicBoolean answered = new AtomicBoolean();

        ForwardReply(Request request, Consumer<byte[]> completion) {
            this.request = request;
            this.completion = completion;
        }

        @Override
        public void answer(Map<String, Object> answer) {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            Map<String, Object> message = new LinkedHashMap<>(answer);
            message.remove("id");
            if (request.id() != null) {
                message.put("id", request.id().value());
            }
            byte[] bytes;
            try {
                bytes = encoder.encode(message);
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.ERROR, "the answer to " + request.command() + " is not JSON", e);
                bytes = encoder.encode(Messages.error(ErrorClass.GenericError, Commands.internalError(request.command()),
                        request.id()));
            }
            completion.accept(bytes);
        }

        @Override
        public void answer(byte[] message, int idFrom, int idTo) {
            byte[] bytes = encoder.pretty() ? null : EncodedAnswers.withId(message, idFrom, idTo,
                    request.id() == null ? null : JsonWriter.toJson(request.id().value()));
            if (bytes == null) {
                answer(EncodedAnswers.parse(message)); // reformatted, or not the shape promised
                return;
            }
            if (answered.compareAndSet(false, true)) {
                completion.accept(bytes);
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
            session.outOfBandUsed();
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
        // Answer and mode change in one step: an event emitted once the client can have the answer
        // must reach it, and none may overtake the answer.
        session.enterCommandMode(encoder.encode(Messages.success(new LinkedHashMap<String, Object>(), id)),
                wanted.contains("oob"));
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
