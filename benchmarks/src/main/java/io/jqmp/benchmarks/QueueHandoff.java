package io.jqmp.benchmarks;

import io.jqmp.server.IdleStrategy;
import io.jqmp.internal.dispatch.Monitor;
import io.jqmp.internal.dispatch.Role;
import io.jqmp.internal.dispatch.RoleRunner;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * What does handing one task to another thread cost, as a reader hands an OOB request to the
 * monitor? One sample: offer a task, wait (spinning) until the consumer thread has run it.
 *
 * <p>{@code queue=monitor} is jqmp's own {@link Monitor} (JCTools {@code MpscVarHandleArrayQueue});
 * {@code abq} and {@code ltq} put {@link ArrayBlockingQueue} and {@link LinkedTransferQueue}
 * behind the same {@link RoleRunner}, so only the queue differs. {@code idle} is the consumer's
 * {@link IdleStrategy}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@State(Scope.Benchmark)
public class QueueHandoff {
    @Param({"monitor", "abq", "ltq"})
    public String queue;
    @Param({"park", "backoff", "spin"})
    public String idle;

    private Monitor monitor;
    private Queue<Runnable> plain;
    private RoleRunner runner;
    private volatile long done;
    private long sent;
    private final Runnable task = () -> done++; // only the consumer thread writes done

    /** A {@link Role} draining a java.util.concurrent queue, as {@link Monitor} drains its own. */
    private static final class QueueRole implements Role {
        private final Queue<Runnable> q;

        QueueRole(Queue<Runnable> q) {
            this.q = q;
        }

        @Override
        public String roleName() {
            return "handoff-consumer";
        }

        @Override
        public int doWork() {
            int n = 0;
            Runnable r;
            while (n < 64 && (r = q.poll()) != null) {
                r.run();
                n++;
            }
            return n;
        }

        @Override
        public boolean hasWork() {
            return !q.isEmpty();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        IdleStrategy strategy = IdleStrategy.parse(idle);
        switch (queue) {
            case "monitor" -> {
                monitor = new Monitor(4096);
                runner = new RoleRunner(monitor, strategy);
                monitor.attach(runner);
            }
            case "abq" -> plain = new ArrayBlockingQueue<>(4096);
            case "ltq" -> plain = new LinkedTransferQueue<>();
            default -> throw new IllegalArgumentException("queue must be monitor, abq or ltq, not '" + queue + "'");
        }
        if (plain != null) {
            runner = new RoleRunner(new QueueRole(plain), strategy);
        }
        runner.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (!runner.close(Duration.ofSeconds(2))) {
            throw new IllegalStateException("consumer thread did not stop");
        }
    }

    @Benchmark
    public long handOff() {
        long target = ++sent;
        if (monitor != null) {
            while (!monitor.submitOob(task)) {
                Thread.onSpinWait();
            }
        } else {
            while (!plain.offer(task)) {
                Thread.onSpinWait();
            }
            runner.wake();
        }
        while (done < target) {
            Thread.onSpinWait();
        }
        return target;
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(QueueHandoff.class.getSimpleName()).build()).run();
    }
}
