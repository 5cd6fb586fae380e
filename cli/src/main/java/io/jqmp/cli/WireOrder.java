package io.jqmp.cli;

import io.jqmp.client.QmpEvent;
import io.jqmp.internal.wire.JsonWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Prints a client's events and command answers in the order they arrived on the wire. The client
 * reads on one thread and, in arrival order, hands each event to its subscriptions' filters and
 * completes each answer's future; this class prints an event from the filter ({@link #event}) and
 * an answer from its future's completion, both under one lock. Registering for an answer happens
 * under the same lock as sending the command, so an event that follows the answer on the wire
 * cannot be printed before it.
 *
 * <p>Threading: {@link #event} on the client's reader thread; {@link #command} on the thread that
 * runs the shell; the screen is called under the lock, from either of them (or from the client's
 * timer when a command times out).
 */
final class WireOrder {
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Consumer<String> screen;

    WireOrder(Consumer<String> screen) {
        this.screen = screen;
    }

    /** Prints from now on to {@code screen} (e.g. above the prompt once the line reader exists). */
    void printTo(Consumer<String> next) {
        lock.lock();
        try {
            this.screen = next;
        } finally {
            lock.unlock();
        }
    }

    /** Prints {@code text} in turn with what arrives. Any thread. */
    void print(String text) {
        lock.lock();
        try {
            screen.accept(text);
        } finally {
            lock.unlock();
        }
    }

    /**
     * An event, printed as the JSON it arrived as; returns false, so that the subscription whose
     * filter this is delivers nothing more. Client reader thread.
     */
    boolean event(QmpEvent e) {
        print(JsonWriter.toJson(e.message()));
        return false;
    }

    /**
     * Sends a command with {@code send} (which must not block) and prints its outcome, formatted by
     * {@code format} (result, or the failure with its cause unwrapped), once it arrives. The
     * returned future completes after it was printed.
     */
    CompletableFuture<Void> command(Supplier<CompletableFuture<Object>> send,
            BiFunction<Object, Throwable, String> format) {
        lock.lock();
        try {
            return send.get().handle((result, failure) -> {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : failure;
                print(format.apply(result, cause));
                return null;
            });
        } finally {
            lock.unlock();
        }
    }
}
