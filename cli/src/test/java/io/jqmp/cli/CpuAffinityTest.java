package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jqmp.server.ThreadPlacement;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binding the monitor and main-loop threads to CPUs with OpenHFT's affinity library. */
class CpuAffinityTest {

    /** The calling thread's allowed CPUs, as Linux lists them. */
    static String allowedCpus() throws IOException {
        return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                .findFirst().orElseThrow();
    }

    @Test
    void aPlacedRoleRunsOnItsCpuUntilReleased() throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        assumeTrue(cpus >= 2 && Files.exists(Path.of("/proc/thread-self/status")), "needs Linux and two CPUs");
        int cpu = cpus - 1; // OpenHFT keeps CPU 0 for the operating system
        List<String> seen = new ArrayList<>();
        Throwable[] failed = new Throwable[1];
        Thread t = Thread.ofPlatform().name("monitor").start(() -> {
            try {
                String before = allowedCpus();
                ThreadPlacement.Placed placed = new CpuAffinity(Map.of("monitor", cpu)).place("monitor");
                seen.add(allowedCpus());
                placed.close();
                seen.add(allowedCpus().equals(before) ? "restored" : "still " + allowedCpus());
                // A role without a CPU stays where it is.
                new CpuAffinity(Map.of("monitor", cpu)).place("main-loop").close();
                seen.add(allowedCpus().equals(before) ? "unbound" : "bound " + allowedCpus());
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        t.join(20_000);
        if (failed[0] != null) {
            throw new AssertionError(failed[0]);
        }
        assertEquals(List.of(Integer.toString(cpu), "restored", "unbound"), seen);
    }

    @Test
    void pinOptionsNeedDifferentCpusOfThisMachine() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(List.of("serve", "--pin-monitor", "4096"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("--pin-monitor needs a CPU number from 0 to"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--pin-main-loop", "x"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("--pin-main-loop needs a CPU number"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--pin-monitor", "0", "--pin-main-loop", "0"), System.out,
                new PrintStream(err)));
        assertTrue(err.toString().contains("need different CPUs"), err.toString());
    }
}
