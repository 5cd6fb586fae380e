package io.jqmp.server;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.protocol.QmpException;
import io.jqmp.internal.wire.Request;
import io.jqmp.internal.wire.RequestChecker;
import java.util.List;

/**
 * What differs between the protocol forms a server can speak ({@link Dialect}), in one object
 * per form: how a parsed request is checked and bound to its command, which errors are answered
 * at once and which in their turn, the negotiation error for a missing capability, and whether a
 * full in-band queue drops the request. Everything else is the same for both.
 *
 * <p>Immutable; {@link #check} runs on the reader threads of all connections at once.
 */
sealed interface DialectRules permits DialectRules.Current, DialectRules.V212 {

    static DialectRules of(Dialect dialect, Commands commands) {
        return switch (dialect) {
            case CURRENT -> new Current(commands);
            case V2_12 -> new V212(commands);
        };
    }

    /** What to do with one parse result. */
    sealed interface Routing permits Run, Reject {
    }

    /** A request bound to its command, arguments validated. */
    record Run(Commands.Call call) implements Routing {
    }

    /** Answer with this error: in its turn among in-band answers, or at once. */
    record Reject(QmpException error, Request.Id id, boolean inOrder) implements Routing {
    }

    /** Checks one parse result of a session in the given state. Reader thread; never blocks. */
    Routing check(JsonResult result, boolean commandMode, boolean oobEnabled);

    /** The error text when {@code qmp_capabilities} asks for capabilities not offered. */
    String capabilitiesUnavailable(List<String> missing);

    /** Whether a full in-band queue drops the request (and announces it) instead of stopping the reader. */
    boolean dropsWhenFull();

    /**
     * QMP as QEMU 4.0 and later speak it: errors carry the request's id and wait their turn
     * behind earlier in-band answers, except those of requests that asked for out-of-band.
     */
    record Current(Commands commands) implements DialectRules {
        @Override
        public Routing check(JsonResult result, boolean commandMode, boolean oobEnabled) {
            if (result instanceof JsonResult.Error e) {
                return new Reject(new QmpException(e.desc()), null, true);
            }
            Object value = ((JsonResult.Value) result).value();
            try {
                return new Run(commands.resolve(RequestChecker.check(value, oobEnabled), commandMode));
            } catch (QmpException e) {
                return new Reject(e, RequestChecker.idOf(value), !RequestChecker.looksOutOfBand(value));
            }
        }

        @Override
        public String capabilitiesUnavailable(List<String> missing) {
            return "Capability " + String.join(", ", missing) + " not available";
        }

        @Override
        public boolean dropsWhenFull() {
            return false;
        }
    }

    /**
     * The form out-of-band execution first shipped in (QEMU 2.12). Checks in 2.12's order: shape,
     * lookup, out-of-band permission, then the id every command needs once OOB is on; errors up to
     * there are answered at once and without an id; argument errors (from the command's
     * marshaller in 2.12) carry the id. Lexical and limit errors all read "Invalid JSON syntax".
     */
    record V212(Commands commands) implements DialectRules {
        @Override
        public Routing check(JsonResult result, boolean commandMode, boolean oobEnabled) {
            if (result instanceof JsonResult.Error e) {
                return new Reject(new QmpException(jsonErrorDesc(e.desc())), null, false);
            }
            Commands.Call call;
            try {
                Request request = RequestChecker.check212(((JsonResult.Value) result).value(), oobEnabled);
                call = commands.lookup(request, commandMode);
                if (request.outOfBand() && !oobEnabled) {
                    throw new QmpException("Please enable Out-Of-Band first for the session during capabilities negotiation");
                }
                if (request.outOfBand() && !call.def().allowOob()) {
                    throw new QmpException("The command " + request.command() + " does not support OOB");
                }
                if (oobEnabled && request.id() == null) {
                    throw new QmpException("Out-Of-Band capability requires that every command contains an 'id' field");
                }
            } catch (QmpException e) {
                return new Reject(e, null, false);
            }
            try {
                return new Run(commands.validate(call));
            } catch (QmpException e) {
                return new Reject(e, call.request().id(), false);
            }
        }

        /** 2.12 reported lexical and limit errors only as "Invalid JSON syntax"; grammar errors kept their text. */
        private static String jsonErrorDesc(String desc) {
            return desc.startsWith("JSON parse error, stray") || desc.endsWith("limit exceeded") ? "Invalid JSON syntax" : desc;
        }

        @Override
        public String capabilitiesUnavailable(List<String> missing) {
            return "This monitor does not support Out-Of-Band (OOB)";
        }

        @Override
        public boolean dropsWhenFull() {
            return true;
        }
    }
}
