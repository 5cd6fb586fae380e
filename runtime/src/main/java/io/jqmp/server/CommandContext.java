package io.jqmp.server;

import io.jqmp.internal.mapping.Mapping;
import io.jqmp.internal.mapping.MappingException;
import io.jqmp.protocol.QmpException;
import java.util.Map;

/**
 * What a {@link CommandHandler} gets: the validated arguments and the session it runs for.
 * Used only on the thread that runs the handler.
 */
public final class CommandContext {
    private final QmpServer server;
    private final Session session;
    private final String command;
    private final Map<String, Object> arguments;
    private final boolean outOfBand;

    CommandContext(QmpServer server, Session session, String command, Map<String, Object> arguments, boolean outOfBand) {
        this.server = server;
        this.session = session;
        this.command = command;
        this.arguments = arguments;
        this.outOfBand = outOfBand;
    }

    /**
     * The command's name.
     *
     * @return e.g. {@code query-status}
     */
    public String command() {
        return command;
    }

    /**
     * The arguments, validated against the schema (unchecked for {@code gen: false} commands).
     *
     * @return the argument object in the value model of {@link io.jqmp.protocol}; empty when
     *     the request had none
     */
    public Map<String, Object> arguments() {
        return arguments;
    }

    /**
     * The arguments mapped onto a record or bean with Jackson Jr: a member {@code max-bandwidth}
     * fills the component {@code maxBandwidth}; enum values match ignoring case, with {@code -}
     * and {@code _} alike; absent members leave components null, 0 or false; {@code Object} and
     * {@code Map} components get the value model.
     *
     * @param <T>  the type
     * @param type a record or a bean with a no-argument constructor and setters
     * @return the mapped arguments
     * @throws QmpException a value does not fit its component (a number too large for an
     *     {@code int}, say); the client gets QEMU's parameter error for it, e.g.
     *     {@code Parameter 'n' expects int32}
     * @throws IllegalArgumentException the type cannot be mapped at all (a programming error,
     *     answered like any unexpected exception)
     */
    public <T> T argumentsAs(Class<T> type) {
        try {
            return Mapping.fromValue(arguments, type);
        } catch (MappingException e) {
            throw new QmpException(e.getMessage());
        }
    }

    /**
     * Whether the command runs out-of-band, on the monitor thread.
     *
     * @return true for {@code exec-oob}, false for {@code execute}
     */
    public boolean outOfBand() {
        return outOfBand;
    }

    /**
     * The client connection the request came from.
     *
     * @return the session
     */
    public Session session() {
        return session;
    }

    /**
     * The server, e.g. to emit events.
     *
     * @return the server running this command
     */
    public QmpServer server() {
        return server;
    }
}
