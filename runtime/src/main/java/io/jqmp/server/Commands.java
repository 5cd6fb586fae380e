package io.jqmp.server;

import io.jqmp.protocol.ErrorClass;
import io.jqmp.internal.wire.Messages;
import io.jqmp.protocol.QmpException;
import io.jqmp.internal.wire.Request;
import io.jqmp.schema.CommandDef;
import io.jqmp.schema.Schema;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The server's command table: each schema command with its handler. Immutable after start;
 * {@link #resolve} runs on reader threads, {@link #execute} on the monitor thread (out-of-band)
 * or the main loop (in-band).
 */
final class Commands {
    private static final Logger LOG = Logger.getLogger(Commands.class.getName());

    /** A request bound to its command, with validated arguments. */
    record Call(Request request, CommandDef def, Map<String, Object> arguments, CommandHandler handler) {
    }

    /** Handed to handlers ({@link CommandContext#server()}); nothing here calls it. */
    private final QmpServer server;
    private final Schema schema;
    private final Map<String, CommandHandler> handlers;
    private final Encoder encoder;

    Commands(QmpServer server, Schema schema, Map<String, CommandHandler> handlers, Encoder encoder) {
        this.server = server;
        this.schema = schema;
        this.handlers = Map.copyOf(handlers);
        this.encoder = encoder;
    }

    /**
     * Finds the command and validates its arguments, in QEMU's order: lookup, out-of-band
     * permission, arguments. In negotiation mode only {@code qmp_capabilities} exists.
     */
    Call resolve(Request request, boolean commandMode) {
        Call call = lookup(request, commandMode);
        if (request.outOfBand() && !call.def().allowOob()) {
            throw new QmpException("The command " + request.command() + " does not support OOB");
        }
        return validate(call);
    }

    /** Finds the command in the session's current table; its arguments are not validated yet. */
    Call lookup(Request request, boolean commandMode) {
        String name = request.command();
        CommandDef def = commandMode || name.equals("qmp_capabilities") ? schema.command(name).orElse(null) : null;
        CommandHandler handler = def == null ? null : handlers.get(name);
        if (def == null || handler == null) {
            // In negotiation mode QEMU rewrites every CommandNotFound into a hint.
            throw new QmpException(ErrorClass.CommandNotFound, commandMode
                    ? "The command " + name + " has not been found"
                    : "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        return new Call(request, def, request.arguments(), handler);
    }

    /** Validates the arguments against the schema (not for {@code gen: false} commands). */
    Call validate(Call call) {
        if (call.def().gen()) {
            Map<String, Object> args = schema.validateArguments(call.def(), call.request().arguments());
            return new Call(call.request(), call.def(), args, call.handler());
        }
        return call;
    }

    /**
     * Runs the handler and encodes its answer; null for a command declared
     * {@code success-response: false} that succeeded. Never throws.
     */
    byte[] execute(Call call, Session session, boolean outOfBand) {
        Request.Id id = call.request().id();
        Object result;
        try {
            result = call.handler().handle(new CommandContext(server, session, call.def().name(), call.arguments(), outOfBand));
        } catch (QmpException e) {
            return encoder.encode(Messages.error(e, id));
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "command " + call.def().name() + " failed", e);
            return encoder.encode(Messages.error(ErrorClass.GenericError,
                    "internal error in command " + call.def().name() + ": " + e, id));
        }
        if (!call.def().successResponse()) {
            return null;
        }
        try {
            return encoder.encode(Messages.success(result, id));
        } catch (IllegalArgumentException e) {
            LOG.log(Level.SEVERE, "command " + call.def().name() + " returned a value that is not JSON", e);
            return encoder.encode(Messages.error(ErrorClass.GenericError,
                    "internal error in command " + call.def().name() + ": result is not valid JSON: " + e.getMessage(), id));
        }
    }
}
