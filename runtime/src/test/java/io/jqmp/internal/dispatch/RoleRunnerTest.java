package io.jqmp.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.server.IdleStrategy;
import io.jqmp.server.ThreadPlacement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A role's thread: placed before its first duty cycle and the placement undone after its last; a
 * RuntimeException is reported and the role goes on; an Error ends the thread, reported as fatal.
 */
class RoleRunnerTest {
    private final LinkedBlockingQueue<String> reports = new LinkedBlockingQueue<>();

    private final RoleErrors errors = new RoleErrors() {
        @Override
        public void error(String role, Throwable error) {
            reports.add("error " + role + ": " + error.getMessage());
        }

        @Override
        public void fatal(String role, Throwable error) {
            reports.add("fatal " + role + ": " + error.getMessage());
        }
    };

    private String next() throws InterruptedException {
        String r = reports.poll(10, TimeUnit.SECONDS);
        return r == null ? "nothing reported" : r;
    }

    @Test
    void anExceptionIsReportedAndTheRoleGoesOnAnErrorEndsIt() throws Exception {
        AtomicInteger cycles = new AtomicInteger();
        Role role = new Role() {
            @Override
            public String roleName() {
                return "test-role";
            }

            @Override
            public int doWork() {
                switch (cycles.incrementAndGet()) {
                    case 1 -> throw new IllegalStateException("first");
                    case 2 -> throw new AssertionError("second");
                    default -> {
                        return 0;
                    }
                }
            }

            @Override
            public boolean hasWork() {
                return false;
            }
        };
        RoleRunner runner = new RoleRunner(role, IdleStrategy.park(), errors);
        runner.start();
        assertEquals("error test-role: first", next());
        assertEquals("fatal test-role: second", next());
        runner.thread().join(10_000);
        assertFalse(runner.thread().isAlive(), "the thread ends after an Error");
        assertEquals(2, cycles.get(), "no cycle after the Error");
        assertEquals(2, runner.errorCount());
        runner.close(Duration.ofSeconds(1));
    }

    @Test
    void theRolesThreadIsPlacedBeforeItWorksAndReleasedAfter() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Monitor monitor = new Monitor(16);
        ThreadPlacement placement = role -> {
            log.add("placed " + role + " on " + Thread.currentThread().getName());
            return () -> log.add("released on " + Thread.currentThread().getName());
        };
        RoleRunner runner = new RoleRunner(monitor, IdleStrategy.park(), placement, errors);
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
        }, errors);
        mainLoop.attach(runner);
        runner.start();
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(mainLoop.submit(ran::countDown));
        assertTrue(ran.await(20, TimeUnit.SECONDS), "the main loop runs unplaced");
        assertTrue(runner.close(Duration.ofSeconds(20)));
    }
}
