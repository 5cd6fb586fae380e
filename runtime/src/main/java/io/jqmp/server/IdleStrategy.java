package io.jqmp.server;

import java.util.concurrent.locks.LockSupport;

/**
 * What a role's thread does when a duty cycle found no work. A parameter because the right
 * answer depends on the machine: on two cores a spinning monitor thread steals the core the
 * main loop needs, on many cores spinning buys the lowest latency.
 *
 * <p>Called only by the thread that runs the role. Implementations that park must return when
 * {@link LockSupport#unpark} is called on that thread (the server does it when it hands the
 * thread work).
 */
public interface IdleStrategy {

    /**
     * Idles once after a duty cycle.
     *
     * @param workCount units of work the cycle did (0 = none)
     */
    void idle(int workCount);

    /** Forgets back-off state; called after a cycle that did work. */
    default void reset() {
    }

    /**
     * Whether producers must unpark the thread to wake it.
     *
     * @return false only for strategies that never park
     */
    default boolean parks() {
        return true;
    }

    /** The names accepted by {@link #parse}. */
    String NAMES = "park, backoff, spin, yield";

    /**
     * Parks until woken: no CPU when idle, a wake-up costs one unpark. The default.
     *
     * @return a new strategy
     */
    static IdleStrategy park() {
        return new IdleStrategy() {
            @Override
            public void idle(int workCount) {
                if (workCount == 0) {
                    LockSupport.park(this);
                }
            }

            @Override
            public String toString() {
                return "park";
            }
        };
    }

    /**
     * Busy-spins: lowest latency, one core fully used. For benchmarks on machines with cores to spare.
     *
     * @return a new strategy
     */
    static IdleStrategy spin() {
        return new IdleStrategy() {
            @Override
            public void idle(int workCount) {
                Thread.onSpinWait();
            }

            @Override
            public boolean parks() {
                return false;
            }

            @Override
            public String toString() {
                return "spin";
            }
        };
    }

    /**
     * Yields the core between polls.
     *
     * @return a new strategy
     */
    static IdleStrategy yielding() {
        return new IdleStrategy() {
            @Override
            public void idle(int workCount) {
                Thread.yield();
            }

            @Override
            public boolean parks() {
                return false;
            }

            @Override
            public String toString() {
                return "yield";
            }
        };
    }

    /**
     * Spins, then yields, then parks with an exponentially growing timeout; a wake-up unparks it at once.
     *
     * @return a new strategy
     */
    static IdleStrategy backoff() {
        return new BackoffIdleStrategy(100, 20, 1_000, 1_000_000);
    }

    /**
     * The strategy called {@code name}.
     *
     * @param name one of {@link #NAMES}
     * @return a new strategy
     * @throws IllegalArgumentException for any other name
     */
    static IdleStrategy parse(String name) {
        return switch (name) {
            case "park" -> park();
            case "backoff" -> backoff();
            case "spin" -> spin();
            case "yield" -> yielding();
            default -> throw new IllegalArgumentException(
                    "unknown idle strategy '" + name + "' (expected one of: " + NAMES + ")");
        };
    }
}
