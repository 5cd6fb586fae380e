package io.jqmp.benchmarks;

import io.jqmp.server.ConnectionThreads;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark server as a process of its own, measured from outside like QEMU: the embedded
 * server's commands ({@link Target#embedded}) on {@code LISTEN}, and with {@code MANAGEMENT} a
 * management listener served by platform threads. Prints {@code ready} once listening and stops
 * when its standard input ends.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.jqmp.benchmarks.BenchServer LISTEN [MANAGEMENT]}.
 */
public final class BenchServer {
    private BenchServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: BenchServer unix:PATH|tcp:HOST:PORT [MANAGEMENT-ENDPOINT]");
            System.exit(2);
        }
        Path padding = Files.createTempFile("jqmp-bench-padding", ".json");
        try {
            Files.writeString(padding, Target.paddingSchema(Target.SCHEMA_PADDING));
            QmpServer.Builder b = Target.embedded(args[0], "park", true, padding);
            if (args.length > 1) {
                b.listen(args[1], ConnectionThreads.PLATFORM);
            }
            try (QmpServer server = b.build().start()) {
                System.out.println("ready " + server.endpoints());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // runs until the parent closes our standard input
                }
            }
        } finally {
            Files.deleteIfExists(padding);
        }
    }
}
