package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.dispatch.MainLoop;
import io.jqmp.internal.dispatch.Monitor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The flow control of one connection, driven without sockets or threads of its own: the test is
 * the reader, and runs the main loop's duty cycle itself.
 */
class RequestFlowTest {
    final Monitor monitor = new Monitor(64);
    final MainLoop mainLoop = new MainLoop(64);
    final List<String> answers = new CopyOnWriteArrayList<>();
    final LongAdder suspensions = new LongAdder();
    final InputBudget budget = new InputBudget(new QmpServerConfig.MemoryBudget(1 << 20, 1 << 20, Duration.ofSeconds(1)));

    RequestFlow flow(int maxPending, boolean dropWhenFull) {
        return new RequestFlow(monitor, mainLoop, m -> answers.add(new String(m, StandardCharsets.US_ASCII)), maxPending,
                dropWhenFull, suspensions, budget);
    }

    @Test
    void aLargeRequestHoldsItsInputChargeUntilItsStepHasRun() {
        RequestFlow f = flow(8, false);
        f.commandMode(true);
        assertTrue(budget.tryReserve(5000));
        f.chargeNext(5000);
        assertTrue(f.submit(() -> bytes("a1"), null));
        f.releaseUnclaimed();
        assertEquals(5000, budget.used(), "the queued step holds the charge");
        mainLoop.doWork();
        assertEquals(0, budget.used(), "released once answered");

        assertTrue(budget.tryReserve(3000));
        f.chargeNext(3000);
        f.submitOob(() -> bytes("o1"), null);
        assertEquals(3000, budget.used());
        monitor.doWork();
        assertEquals(0, budget.used());
        assertEquals(List.of("a1", "o1"), answers);
    }

    @Test
    void aChargeNoStepTookIsGivenBack() {
        RequestFlow f = flow(8, false);
        f.commandMode(true);
        assertTrue(budget.tryReserve(4000));
        f.chargeNext(4000);
        f.releaseUnclaimed(); // e.g. an error answered by the reader at once
        assertEquals(0, budget.used());
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void negotiationNeverStopsTheReader() {
        RequestFlow f = flow(1, false);
        f.answerInOrder(bytes("e1"));
        assertTrue(f.mayRead());
        assertTrue(f.awaitRoom());
        assertEquals(List.of("e1"), answers);
    }

    @Test
    void withoutOobTheReaderWaitsForEachAnswer() {
        RequestFlow f = flow(8, false);
        f.commandMode(false);
        List<Boolean> mayReadWhileRunning = new CopyOnWriteArrayList<>();
        assertTrue(f.submit(() -> {
            mayReadWhileRunning.add(f.mayRead());
            return bytes("a1");
        }, null));
        assertFalse(f.mayRead(), "stopped until the answer");
        mainLoop.doWork();
        assertEquals(List.of(false), mayReadWhileRunning, "still stopped while it runs");
        assertTrue(f.mayRead());
        assertEquals(List.of("a1"), answers);
    }

    @Test
    void withOobTheReaderStopsAtTheLimitAndResumesWhenOneStarts() {
        RequestFlow f = flow(3, false);
        f.commandMode(true);
        List<Boolean> mayReadWhileRunning = new CopyOnWriteArrayList<>();
        for (int i = 1; i <= 3; i++) {
            assertTrue(f.mayRead(), "room before request " + i);
            String answer = "a" + i;
            assertTrue(f.submit(() -> {
                mayReadWhileRunning.add(f.mayRead());
                return bytes(answer);
            }, null));
        }
        assertFalse(f.mayRead(), "three waiting: stop reading");
        mainLoop.doWork();
        // The first step freed a place before it ran, as QEMU resumes before executing.
        assertEquals(List.of(true, true, true), mayReadWhileRunning);
        assertEquals(List.of("a1", "a2", "a3"), answers);
        assertTrue(f.mayRead());
    }

    @Test
    void aDroppingDialectRefusesTheStepInsteadOfStopping() {
        RequestFlow f = flow(2, true);
        f.commandMode(true);
        assertTrue(f.submit(() -> bytes("a1"), null));
        assertTrue(f.submit(() -> bytes("a2"), null));
        assertTrue(f.mayRead());
        assertFalse(f.submit(() -> bytes("dropped"), null));
        assertTrue(f.mayRead());
        assertTrue(f.awaitRoom());
        mainLoop.doWork();
        assertEquals(List.of("a1", "a2"), answers);
        assertEquals(0, suspensions.sum());
        assertTrue(f.submit(() -> bytes("a3"), null), "room again");
    }

    @Test
    void withoutOobADroppingDialectStillWaits() {
        RequestFlow f = flow(2, true);
        f.commandMode(false);
        assertTrue(f.submit(() -> bytes("a1"), null));
        assertFalse(f.mayRead());
    }

    @Test
    void anErrorIsAnsweredAtOnceOnlyWhenNothingIsPending() {
        RequestFlow f = flow(8, false);
        f.commandMode(true);
        f.answerInOrder(bytes("e1"));
        assertEquals(List.of("e1"), answers, "nothing pending: at once");
        assertTrue(f.submit(() -> bytes("a1"), null));
        f.answerInOrder(bytes("e2"));
        assertEquals(List.of("e1"), answers, "behind a1");
        mainLoop.doWork();
        assertEquals(List.of("e1", "a1", "e2"), answers);
    }

    @Test
    void aStepWithoutAnswerStillFreesItsPlace() {
        RequestFlow f = flow(8, false);
        f.commandMode(false);
        assertTrue(f.submit(() -> null, null));
        mainLoop.doWork();
        assertTrue(f.mayRead());
        assertEquals(List.of(), answers);
    }

    /**
     * Many rounds of a reader stopping against the main loop freeing room, in whatever order the
     * two threads meet: no wake-up is lost.
     */
    @Test
    void aStoppedReaderWakesWhenTheMainLoopTakesAStep() throws Exception {
        for (int round = 0; round < 300; round++) {
            RequestFlow f = flow(1, false);
            f.commandMode(round % 2 == 0);
            assertTrue(f.submit(() -> bytes("a"), null));
            AtomicBoolean room = new AtomicBoolean();
            Thread reader = Thread.ofVirtual().start(() -> room.set(f.awaitRoom()));
            mainLoop.doWork();
            reader.join(WireClient.TIMEOUT.toMillis());
            assertFalse(reader.isAlive(), "round " + round + ": the reader was not woken");
            assertTrue(room.get());
        }
    }

    @Test
    void outOfBandStepsAreAnsweredAtOnceAndNeverStopTheReader() {
        RequestFlow f = flow(1, false);
        f.commandMode(true);
        assertTrue(f.submit(() -> bytes("a1"), null));
        f.submitOob(() -> bytes("o1"), null);
        f.submitOob(() -> null, null);
        monitor.doWork();
        assertEquals(List.of("o1"), answers, "before the in-band step");
        assertFalse(f.mayRead(), "only in-band steps count against the limit");
        mainLoop.doWork();
        assertEquals(List.of("o1", "a1"), answers);
    }

    /**
     * At the end of input the reader waits until in-band and out-of-band steps have all finished,
     * whichever finishes last, in whatever order the threads meet.
     */
    @Test
    void atTheEndOfInputTheReaderWaitsForEveryAnswer() throws Exception {
        for (int round = 0; round < 300; round++) {
            answers.clear();
            RequestFlow f = flow(8, false);
            f.commandMode(true);
            assertTrue(f.submit(() -> bytes("a"), null));
            f.submitOob(() -> bytes("o"), null);
            AtomicBoolean answered = new AtomicBoolean();
            List<String> seen = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                answered.set(f.awaitAnswered());
                seen.addAll(answers);
            });
            if (round % 2 == 0) {
                mainLoop.doWork();
                monitor.doWork();
            } else {
                monitor.doWork();
                mainLoop.doWork();
            }
            reader.join(WireClient.TIMEOUT.toMillis());
            assertFalse(reader.isAlive(), "round " + round + ": the reader was not woken");
            assertTrue(answered.get());
            assertEquals(2, seen.size(), "round " + round + ": both answers were queued before the reader went on");
        }
    }

    @Test
    void aStopIsCounted() {
        RequestFlow f = flow(1, false);
        f.commandMode(true);
        assertTrue(f.submit(() -> bytes("a"), null));
        f.close();
        assertFalse(f.awaitRoom());
        assertEquals(1, suspensions.sum());
    }

    @Test
    void closeWakesAStoppedReaderAndSkipsWaitingSteps() throws Exception {
        RequestFlow f = flow(1, false);
        f.commandMode(true);
        AtomicBoolean ran = new AtomicBoolean();
        assertTrue(f.submit(() -> {
            ran.set(true);
            return bytes("a");
        }, null));
        AtomicBoolean room = new AtomicBoolean(true);
        Thread reader = Thread.ofVirtual().start(() -> room.set(f.awaitRoom()));
        f.close();
        reader.join(WireClient.TIMEOUT.toMillis());
        assertFalse(reader.isAlive());
        assertFalse(room.get(), "closed: no room");
        mainLoop.doWork();
        assertFalse(ran.get(), "a step of a closed connection does not run");
        assertEquals(List.of(), answers);
    }
}
