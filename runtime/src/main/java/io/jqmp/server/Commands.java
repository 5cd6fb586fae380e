package io.jqmp.server;

import io.jqmp.internal.mapping.Mapping;
import io.jqmp.protocol.ErrorClass;
import io.jqmp.internal.wire.Messages;
import io.jqmp.protocol.QmpException;
import io.jqmp.internal.wire.Request;
import io.jqmp.schema.CommandDef;
import io.jqmp.schema.Schema;
import java.util.Map;

/**
 * The server's command table: each schema command with its handler. Immutable after start;
 * {@link #resolve} runs on reader threads, {@link #execute} on the monitor thread (out-of-band)
 * or the main loop (in-band).
 */
final class Commands {
    private static final System.Logger LOG = System.getLogger(Commands.class.getName());

    /** A request bound to its command, with validated arguments. */
    record Call(Request request, CommandDef def, Map<String, Object> arguments, CommandHandler handler) {
    }

    /** Handed to handlers ({@link CommandContext#server()}); nothing here calls it. */
    private final QmpServer server;
    private final Schema schema;
    private final Map<String, CommandHandler> handlers;
    private final Encoder encoder;
    /** Check every result against its {@code returns} type (QmpServerConfig.checkAnswers). */
    private final boolean checkResults;

    Commands(QmpServer server, Schema schema, Map<String, CommandHandler> handlers, Encoder encoder,
             boolean checkResults) {
        this.server = server;
        this.schema = schema;
        this.handlers = Map.copyOf(handlers);
        this.encoder = encoder;
        this.checkResults = checkResults;
    }

    /**
     * What a client is told when a handler failed in a way it did not mean to: the command's
     * name and nothing of Java, which stays in the log.
     */
    static String internalError(String command) {
        return "internal error in command " + command + " (the server's log has the details)";
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
     * {@code success-response: false} that succeeded. Never throws: a {@link QmpException} is
     * answered as it is; anything else the handler throws, and a result that cannot be written
     * as JSON, is logged with its stack trace and answered with {@link #internalError}.
     */
    byte[] execute(Call call, Session session, boolean outOfBand) {
        Request.Id id = call.request().id();
        String name = call.def().name();
        Object result;
        try {
            result = call.handler().handle(new CommandContext(server, session, name, call.arguments(), outOfBand));
        } catch (QmpException e) {
            return encoder.encode(Messages.error(e, id));
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "command " + name + " failed", e);
            return encoder.encode(Messages.error(ErrorClass.GenericError, internalError(name), id));
        }
        if (!call.def().successResponse()) {
            return null;
        }
        try {
            Object value = Mapping.toValue(result);
            if (checkResults && call.def().gen()) { // gen: false commands answer as they like, in QEMU too
                schema.checkResult(call.def(), value);
            }
            return encoder.encode(Messages.success(value, id));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "command " + name + " returned a value that cannot be written as JSON", e);
            return encoder.encode(Messages.error(ErrorClass.GenericError, internalError(name), id));
        } catch (QmpException e) {
            // checkAnswers is on: fail loudly, in the log and to the client (a test or a developer).
            LOG.log(System.Logger.Level.ERROR, "command " + name + " returned a result that does not match its schema: "
                    + e.desc());
            return encoder.encode(Messages.error(ErrorClass.GenericError, "the result of " + name
                    + " does not match its schema: " + e.desc(), id));
        }
    }
}
