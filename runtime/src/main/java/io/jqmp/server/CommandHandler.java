package io.jqmp.server;

import io.jqmp.protocol.QmpException;

/**
 * Runs one QMP command. In-band, it is called on the {@code main-loop} thread with the BQL held;
 * out-of-band (a command declared {@code allow-oob} and sent with {@code exec-oob}), on the
 * {@code monitor} thread without the BQL, where it must finish quickly and never block.
 */
@FunctionalInterface
public interface CommandHandler {

    /**
     * Runs the command.
     *
     * @param context the validated arguments and the session
     * @return the command's result: a record or bean (mapped with Jackson Jr, component
     *     {@code fooBar} as member {@code foo-bar}) or a value of the value model (see
     *     {@code io.jqmp.protocol}); {@code null} for commands without {@code returns}, which
     *     answer {@code {}}
     * @throws QmpException to answer with a QMP error; any other exception is logged with its
     *     stack trace and answered as a {@code GenericError} that names the command and nothing
     *     of Java
     */
    Object handle(CommandContext context) throws QmpException;
}
