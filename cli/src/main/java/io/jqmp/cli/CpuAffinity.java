package io.jqmp.cli;

import io.jqmp.server.ThreadPlacement;
import java.util.Map;
import java.util.logging.Logger;
import net.openhft.affinity.AffinityLock;

/**
 * {@code jqmp serve --pin-monitor CPU --pin-main-loop CPU}: binds the {@code monitor} and
 * {@code main-loop} threads each to a CPU of its own with OpenHFT's Java-Thread-Affinity, which
 * reserves the CPU against other threads of this JVM that ask it for one. It pays off on a host
 * with cores to dedicate (kept free of other work, e.g. with the kernel's {@code isolcpus}); on a
 * busy host a pinned thread cannot move to an idle CPU. The library knows only
 * {@link ThreadPlacement}, so it does not depend on this.
 *
 * <p>Threading: {@link #place} runs on the thread it places, once; it logs and leaves the thread
 * unbound when the CPU cannot be had (another thread holds it, or OpenHFT does not offer it:
 * by default it keeps CPU 0 for the operating system).
 */
final class CpuAffinity implements ThreadPlacement {
    private static final Logger LOG = Logger.getLogger(CpuAffinity.class.getName());

    private final Map<String, Integer> cpus;

    /** @param cpus the CPU of each role ({@code monitor}, {@code main-loop}); roles not named stay unbound */
    CpuAffinity(Map<String, Integer> cpus) {
        this.cpus = Map.copyOf(cpus);
    }

    @Override
    public Placed place(String role) {
        Integer cpu = cpus.get(role);
        if (cpu == null) {
            return () -> { };
        }
        AffinityLock lock = AffinityLock.acquireLock(cpu);
        if (!lock.isBound() || lock.cpuId() != cpu) {
            LOG.warning(role + ": could not bind to CPU " + cpu + " (got " + lock + "); it runs unbound");
            lock.release();
            return () -> { };
        }
        LOG.info(role + " bound to CPU " + cpu);
        return lock::release;
    }
}
