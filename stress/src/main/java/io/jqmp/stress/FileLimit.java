package io.jqmp.stress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's open-file limit, read from {@code /proc/self/limits}. Stateless; any thread. */
final class FileLimit {
    private FileLimit() {
    }

    /** The soft limit on open files, or -1 when unknown (not Linux) or unlimited. */
    static long soft() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? -1 : Long.parseLong(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Open file descriptors of this process now, or -1 when unknown. */
    static long open() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
