package io.jqmp.server;

import java.util.concurrent.locks.LockSupport;

/** Spin, then yield, then park for a time that doubles up to a maximum. Not thread-safe: one per thread. */
public final class BackoffIdleStrategy implements IdleStrategy {
    private final long maxSpins;
    private final long maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;
    private long spins;
    private long yields;
    private long parkNanos;

    /**
     * A back-off strategy.
     *
     * @param maxSpins     busy spins before yielding
     * @param maxYields    yields before parking
     * @param minParkNanos the first park's length
     * @param maxParkNanos the longest park, reached by doubling
     * @throws IllegalArgumentException for negative counts or park times out of order
     */
    public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkNanos, long maxParkNanos) {
        if (maxSpins < 0 || maxYields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("invalid back-off parameters");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(this, parkNanos);
            parkNanos = Math.min(parkNanos << 1, maxParkNanos);
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
    }

    @Override
    public String toString() {
        return "backoff";
    }
}
