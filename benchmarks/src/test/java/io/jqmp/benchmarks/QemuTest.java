package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The QEMU side of the comparison; skipped where qemu-system-x86_64 is not installed. */
class QemuTest {

    /** The FIFO blocker really blocks QEMU's main loop, and OOB still gets through. */
    @Test
    void fifoBlockerHoldsTheMainLoopAndOobOvertakes() throws IOException {
        Optional<Path> binary = Qemu.find();
        assumeTrue(binary.isPresent(), "qemu-system-x86_64 is not on the PATH (Debian package qemu-system-x86):"
                + " the QEMU side of the benchmarks is not checked");
        try (Qemu q = Qemu.start(binary.get(), 2)) {
            assertTrue(q.version().startsWith("QEMU emulator version"), q.version());
            Target t = Target.open(q.endpointPattern(), "unix", "park", true);
            try (t; Prober p = Prober.open(t.endpoint(0), true)) {
                assertTrue(p.oob());
                t.blockMainLoop();
                p.send(Prober.request(false, "query-status", null, 7));
                p.send(Prober.request(true, "query-yank", null, 8));
                assertEquals(8, p.awaitLine());
                assertTrue(p.lastLine().startsWith("{\"return\": [{\"type\": \"chardev\", \"id\": \"compat_monitor0\"}"),
                        p.lastLine());
                t.close(); // opens the FIFO: the blockdev-add completes, the main loop runs again
                assertEquals(7, p.awaitLine());
                assertTrue(p.lastLine().contains("\"status\": \"running\""), p.lastLine());
            }
        }
    }
}
