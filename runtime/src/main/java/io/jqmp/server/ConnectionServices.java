package io.jqmp.server;

import io.jqmp.internal.dispatch.MainLoop;
import io.jqmp.internal.dispatch.Monitor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every connection of one server shares, handed to each {@link Connection}'s constructor:
 * the configuration, the dialect's rules, the command table, the executors, the event emitter
 * (for {@code COMMAND_DROPPED}), the registry it leaves on close, the back-pressure counter and
 * the server's memory budgets, the places for out-of-band clients on platform threads
 * ({@link QmpServerConfig#oobPlatformConnections()}), its error handler, and the forwarder that takes every request in
 * command mode (null when the server runs its own commands). Immutable; all parts are safe for
 * use from any thread.
 */
record ConnectionServices(QmpServerConfig config, DialectRules rules, Commands commands, Encoder encoder,
        Greeting greeting, Monitor monitor, MainLoop mainLoop, Events events, Connections registry,
        LongAdder suspensions, InputBudget inputBudget, OutputBudget outputBudget, Semaphore platformPlaces,
        ServerErrors errors, RequestForwarder forwarder) {
}
