package io.jqmp.server;

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

    /** The command's name. */
    public String command() {
        return command;
    }

    /** The arguments, validated against the schema (unchecked for {@code gen: false} commands). */
    public Map<String, Object> arguments() {
        return arguments;
    }

    /** The arguments mapped onto a record whose components are the members (camelCase for hyphen-case). */
    public <R extends Record> R argumentsAs(Class<R> type) {
        return RecordMapper.map(arguments, type);
    }

    /** Whether the command runs out-of-band, on the monitor thread. */
    public boolean outOfBand() {
        return outOfBand;
    }

    /** The client connection the request came from. */
    public Session session() {
        return session;
    }

    /** The server, e.g. to emit events. */
    public QmpServer server() {
        return server;
    }
}
