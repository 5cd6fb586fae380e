package io.jqmp.stress;

import java.util.Collection;
import java.util.concurrent.locks.LockSupport;

/** Small helpers shared by the scenarios. Stateless; any thread. */
final class Stress {
    private Stress() {
    }

    /** Calls {@code check} every 100 ms until {@code stopAtNanos}, on the calling thread. */
    static void runUntil(long stopAtNanos, Runnable check) {
        while (true) {
            long left = stopAtNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            check.run();
            LockSupport.parkNanos(Math.min(left, 100_000_000L));
        }
    }

    /** ": " and the first five faults (and how many more), or "" when there are none. */
    static String faults(Collection<String> faults) {
        if (faults.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("; ").append(faults.size()).append(" fault(s): ");
        int n = 0;
        for (String f : faults) {
            if (n++ == 5) {
                sb.append(" ...");
                break;
            }
            sb.append(n > 1 ? "; " : "").append(f);
        }
        return sb.toString();
    }

    /** Bytes as MiB with one decimal. */
    static double mib(long bytes) {
        return Math.round(bytes * 10.0 / (1 << 20)) / 10.0;
    }
}
