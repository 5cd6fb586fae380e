package io.jqmp.server;

import io.jqmp.internal.dispatch.MainLoop;
import io.jqmp.internal.jfr.CommandEvent;
import io.jqmp.internal.dispatch.Monitor;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Flow control of one connection, both halves of it. The reader hands in-band steps (commands,
 * and errors that wait their turn) to the main loop through {@link #submit}, and parks in
 * {@link #awaitRoom} while it may not hand over more; the main loop, running a step, counts it
 * as started (room for one more) and then as answered, and wakes the reader when it waits.
 *
 * <p>The rules are QEMU's (monitor/qmp.c). Before negotiation nothing goes to the main loop.
 * Without the {@code oob} capability one step at a time: the reader stops reading after each
 * in-band request until it was answered. With it, up to {@code maxPending} steps wait; the
 * reader stops at the message that queued the last one and resumes as soon as the main loop
 * takes one (before running it), so out-of-band requests still get read while it runs. A dialect
 * that drops instead ({@code dropWhenFull}) never stops reading: {@link #submit} refuses the step.
 *
 * <p>With a {@link RequestForwarder}, requests are answered asynchronously instead
 * ({@link #submitForwarded}, {@link #submitForwardedOob}): in-band answers are held until those
 * before them went out, and each frees room for the reader.
 *
 * <p>Out-of-band steps go to the monitor thread through {@link #submitOob}; they are only
 * counted, so that at the end of the client's input the reader can wait until every request it
 * read has been answered ({@link #awaitAnswered}).
 *
 * <p>Threading: {@link #commandMode}, {@link #submit}, {@link #submitOob}, {@link #answerInOrder},
 * {@link #awaitRoom} and {@link #awaitAnswered} are called by the connection's reader thread only;
 * the steps run and count themselves on the main loop or the monitor thread; {@link #close} may be
 * called from any thread. Nothing here blocks except the two {@code await} methods, which park
 * the reader.
 */
final class RequestFlow {

    /** What the reader may hand over before it must wait. */
    enum Mode {
        /** Before {@code qmp_capabilities}: nothing goes to the main loop. */
        NEGOTIATING,
        /** Without out-of-band: one in-band request at a time, the next read after its answer. */
        ONE_AT_A_TIME,
        /** With out-of-band: up to {@code maxPending} in-band requests waiting. */
        PIPELINED
    }

    private final Monitor monitor;
    private final MainLoop mainLoop;
    private final Outbound answers;
    private final int maxPending;
    private final boolean dropWhenFull;
    private final LongAdder suspensions;
    private final InputBudget inputBudget;
    /**
     * Reader thread only: the input budget the request being routed holds ({@link #chargeNext}),
     * taken over by the step it becomes and released when that step has finished.
     */
    private long charge;

    /** Steps handed over and not yet started. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Steps handed over and not yet finished (answered or found to need no answer). */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Out-of-band steps handed over and not yet finished. */
    private final AtomicInteger oobInFlight = new AtomicInteger();
    /** Set once the client's input ended: from then on finished out-of-band steps wake the reader too. */
    private volatile boolean inputEnded;
    private volatile Mode mode = Mode.NEGOTIATING;
    private volatile boolean closed;
    /**
     * Forwarded in-band requests (and errors behind them) in request order, each waiting for its
     * answer and for those before it; guarded by itself. Empty unless the server has a forwarder.
     */
    private final ArrayDeque<Slot> forwarded = new ArrayDeque<>();
    /** The reader while it parks (or is about to), else null; read by whoever frees room. */
    private volatile Thread parkedReader;

    /**
     * @param monitor      runs the out-of-band steps
     * @param mainLoop     runs the in-band steps
     * @param answers      where a step's answer goes
     * @param maxPending   steps that may wait with out-of-band on (QEMU: 8)
     * @param dropWhenFull whether a full queue refuses the step instead of stopping the reader
     * @param suspensions  counts the times the reader had to stop
     * @param inputBudget  what a large request's step gives back when it has finished
     */
    RequestFlow(Monitor monitor, MainLoop mainLoop, Outbound answers, int maxPending, boolean dropWhenFull,
            LongAdder suspensions, InputBudget inputBudget) {
        this.monitor = monitor;
        this.mainLoop = mainLoop;
        this.answers = answers;
        this.maxPending = maxPending;
        this.dropWhenFull = dropWhenFull;
        this.suspensions = suspensions;
        this.inputBudget = inputBudget;
    }

    /**
     * Reader thread: the request about to be routed holds {@code bytes} of the input budget; the
     * step it becomes, if any, releases them when it has finished. {@link #releaseUnclaimed} gives
     * them back if it became none.
     */
    void chargeNext(long bytes) {
        charge += bytes;
    }

    /** Reader thread, after routing: gives back a charge that no step took over. */
    void releaseUnclaimed() {
        inputBudget.release(charge);
        charge = 0;
    }

    /** Reader thread: the charge the step being handed over takes with it. */
    private long takeCharge() {
        long c = charge;
        charge = 0;
        return c;
    }

    /** Reader thread: negotiation is over, with or without the out-of-band capability. */
    void commandMode(boolean outOfBand) {
        mode = outOfBand ? Mode.PIPELINED : Mode.ONE_AT_A_TIME;
    }

    /**
     * Reader thread: hands one in-band step to the main loop. Its result, unless null, is the
     * connection's next in-band answer. Returns false, handing nothing over, when the queue is
     * full and this dialect drops. {@code event} (null unless recorded) is marked at each stage.
     */
    boolean submit(Supplier<byte[]> step, CommandEvent event) {
        if (dropWhenFull && mode == Mode.PIPELINED && queued.get() >= maxPending) {
            return false;
        }
        handOverInband(step, event);
        return true;
    }

    /**
     * Reader thread: hands one out-of-band step to the monitor thread; its answer, unless null,
     * goes out as soon as it is ready. Waits (never drops) while the monitor's queue is full.
     * {@code event} (null unless recorded) is marked at each stage.
     */
    void submitOob(Supplier<byte[]> step, CommandEvent event) {
        oobInFlight.incrementAndGet();
        if (event != null) {
            event.queued();
        }
        long held = takeCharge();
        offerUntilTaken(monitor::submitOob, () -> runOob(step, event, held), held);
    }

    /**
     * Reader thread: answers an error in its turn: at once when nothing of this connection is
     * waiting or running (there is nothing it could overtake), else after the steps before it.
     */
    void answerInOrder(byte[] response) {
        if (inFlight.get() == 0) {
            answers.send(response);
        } else if (forwarding()) {
            submitForwarded().accept(response);
        } else {
            handOverInband(() -> response, null);
        }
    }

    /**
     * Reader thread: counts one in-band request that a {@link RequestForwarder} answers
     * asynchronously. The returned completion takes its answer (null for none) from any thread,
     * once; answers go out in request order, and each one frees room for the reader. The oldest
     * unanswered request counts as running, the others as queued ({@code maxPending} at most).
     */
    Consumer<byte[]> submitForwarded() {
        Slot slot = new Slot();
        inFlight.incrementAndGet();
        synchronized (forwarded) {
            // As in QEMU, the oldest request counts as running, not queued: a client with the
            // maximum outstanding is still read, so its out-of-band requests get through.
            slot.running = forwarded.isEmpty();
            if (!slot.running) {
                queued.incrementAndGet();
            }
            forwarded.add(slot);
        }
        return answer -> completeForwarded(slot, answer);
    }

    /**
     * Reader thread: counts one out-of-band request that a {@link RequestForwarder} answers
     * asynchronously. The returned completion sends its answer (null for none) at once, from any
     * thread; only its first call counts.
     */
    Consumer<byte[]> submitForwardedOob() {
        oobInFlight.incrementAndGet();
        AtomicBoolean done = new AtomicBoolean();
        return answer -> {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            if (!closed && answer != null) {
                answers.sendNow(answer, null);
            }
            if (oobInFlight.decrementAndGet() == 0 && inputEnded) {
                wakeReader();
            }
        };
    }

    private boolean forwarding() {
        synchronized (forwarded) {
            return !forwarded.isEmpty();
        }
    }

    /** Any thread: records one answer and sends every answer that no earlier one holds back. */
    private void completeForwarded(Slot slot, byte[] answer) {
        synchronized (forwarded) {
            if (slot.done) {
                return;
            }
            slot.done = true;
            slot.answer = answer;
            Slot head;
            while ((head = forwarded.peek()) != null && head.done) {
                forwarded.poll();
                if (!closed && head.answer != null) {
                    answers.send(head.answer); // never blocks
                }
                if (!head.running) {
                    queued.decrementAndGet();
                }
                inFlight.decrementAndGet();
            }
            if (head != null && !head.running) {
                head.running = true;
                queued.decrementAndGet();
            }
        }
        wakeReader();
    }

    /** One forwarded in-band request's place in the answer order. Guarded by {@link #forwarded}. */
    private static final class Slot {
        boolean done;
        /** The oldest unanswered request, counted as running rather than queued. */
        boolean running;
        byte[] answer;
    }

    /**
     * Reader thread: parks while the reader may not hand over more in-band work. Returns false
     * when the connection closed (at once or meanwhile).
     */
    boolean awaitRoom() {
        if (!mayRead()) {
            suspensions.increment();
            return await(this::mayRead);
        }
        return !closed;
    }

    /**
     * Reader thread, once the client's input ended: parks until every step handed over, in-band
     * and out-of-band, has finished and its answer is queued. Returns false when the connection
     * closed (at once or meanwhile).
     */
    boolean awaitAnswered() {
        inputEnded = true;
        return await(() -> inFlight.get() == 0 && oobInFlight.get() == 0);
    }

    /** Whether the reader may read on now. Any thread; never blocks. */
    boolean mayRead() {
        return switch (mode) {
            case NEGOTIATING -> true;
            case ONE_AT_A_TIME -> inFlight.get() == 0;
            case PIPELINED -> dropWhenFull || queued.get() < maxPending;
        };
    }

    /** Closes the flow: steps not yet started are skipped, and a parked reader wakes. Any thread. */
    void close() {
        closed = true;
        wakeReader();
    }

    private void handOverInband(Supplier<byte[]> step, CommandEvent event) {
        queued.incrementAndGet();
        inFlight.incrementAndGet();
        if (event != null) {
            event.queued();
        }
        long held = takeCharge();
        offerUntilTaken(mainLoop::submit, () -> run(step, event, held), held);
    }

    /**
     * Offers {@code task} until the executor's queue takes it: a full queue waits, never drops.
     * When the connection closes first, the task never runs and its input charge {@code held} is
     * given back here.
     */
    private void offerUntilTaken(Predicate<Runnable> queue, Runnable task, long held) {
        while (!queue.test(task)) {
            if (closed) {
                inputBudget.release(held);
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /**
     * The step's answer, unless null or the connection closed before it could run; an out-of-band
     * answer goes out at once ({@link Outbound#sendNow}).
     */
    private void answer(Supplier<byte[]> step, CommandEvent event, boolean outOfBand) {
        if (!closed) {
            if (event != null) {
                event.started();
            }
            byte[] answer = step.get();
            if (answer == null) {
                if (event != null) {
                    event.finishedWithoutAnswer();
                }
            } else if (outOfBand) {
                answers.sendNow(answer, event);
            } else {
                answers.send(answer, event);
            }
        }
    }

    /** Main loop: one step, counted as started before it runs and as finished after its answer. */
    private void run(Supplier<byte[]> step, CommandEvent event, long held) {
        queued.decrementAndGet();
        wakeReader();
        try {
            answer(step, event, false);
        } finally {
            inputBudget.release(held);
            inFlight.decrementAndGet();
            wakeReader();
        }
    }

    /** Monitor thread: one out-of-band step. */
    private void runOob(Supplier<byte[]> step, CommandEvent event, long held) {
        try {
            answer(step, event, true);
        } finally {
            inputBudget.release(held);
            // Only a reader waiting for the last answers cares; a reader stopped by back-pressure
            // waits for the main loop, so the common case costs no wake-up.
            if (oobInFlight.decrementAndGet() == 0 && inputEnded) {
                wakeReader();
            }
        }
    }

    /** Reader thread: parks until {@code ready} holds or the flow closes; false when closed. */
    private boolean await(BooleanSupplier ready) {
        Thread me = Thread.currentThread();
        while (!closed && !ready.getAsBoolean()) {
            // Publish "parking", then look again: a producer changes a counter and then reads
            // parkedReader, so one of the two sees the other (no lost wake-up).
            parkedReader = me;
            if (!closed && !ready.getAsBoolean()) {
                LockSupport.park(this);
            }
            parkedReader = null;
        }
        return !closed;
    }

    private void wakeReader() {
        Thread r = parkedReader;
        if (r != null) {
            LockSupport.unpark(r);
        }
    }
}
