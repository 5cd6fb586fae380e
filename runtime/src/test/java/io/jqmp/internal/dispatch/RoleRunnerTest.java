package io.jqmp.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.IdleStrategy;
import io.jqmp.server.ThreadPlacement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A role's thread is placed before its first duty cycle and the placement undone after its last. */
class RoleRunnerTest {

    @Test
    void theRolesThreadIsPlacedBeforeItWorksAndReleasedAfter() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Monitor monitor = new Monitor(16);
        ThreadPlacement placement = role -> {
            log.add("placed " + role + " on " + Thread.currentThread().getName());
            return () -> log.add("released on " + Thread.currentThread().getName());
        };
        RoleRunner runner = new RoleRunner(monitor, IdleStrategy.park(), placement);
        monitor.attach(runner);
        runner.start();
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(monitor.submitOob(() -> {
            log.add("task on " + Thread.currentThread().getName());
            ran.countDown();
        }));
        assertTrue(ran.await(20, TimeUnit.SECONDS));
        assertTrue(runner.close(Duration.ofSeconds(20)));
        assertEquals(List.of("placed monitor on monitor", "task on monitor", "released on monitor"), log);
    }

    @Test
    void aPlacementThatFailsLeavesTheThreadRunning() throws Exception {
        MainLoop mainLoop = new MainLoop(16);
        RoleRunner runner = new RoleRunner(mainLoop, IdleStrategy.park(), role -> {
            throw new IllegalStateException("no such CPU");
        });
        mainLoop.attach(runner);
        runner.start();
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(mainLoop.submit(ran::countDown));
        assertTrue(ran.await(20, TimeUnit.SECONDS), "the main loop runs unplaced");
        assertTrue(runner.close(Duration.ofSeconds(20)));
    }
}
