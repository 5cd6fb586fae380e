package io.jqmp.stress;

import io.jqmp.machine.Machine;
import io.jqmp.machine.MachineConfig;
import io.jqmp.schema.Declaration;
import io.jqmp.server.Endpoint;
import io.jqmp.server.ErrorHandler;
import io.jqmp.server.QmpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The server of the {@code memory} scenario, run as a child JVM with a small heap
 * ({@code java -Xmx256m io.jqmp.stress.MemoryTarget unix:PATH}): the stress commands, the
 * simulated machine (so its {@code vcpu} thread runs too) and {@code stress-health}, which says
 * whether the threads the product depends on are alive, how many errors the server caught, and
 * what the memory budget did. Everything is at its defaults, derived from the heap.
 *
 * <p>Prints {@code ready} on stdout once listening; stops when its stdin ends (the parent closed
 * it or died). Errors the server catches go to stderr with their stack traces.
 */
public final class MemoryTarget {
    /** The health command. */
    static final String HEALTH = "stress-health";

    private MemoryTarget() {
    }

    /** Entry point of the child JVM. */
    public static void main(String[] args) throws IOException {
        Endpoint endpoint = Endpoint.parse(args[0]);
        PrintStream err = System.err;
        ErrorHandler logging = ErrorHandler.logging();
        Machine machine = new Machine(MachineConfig.defaults().withMemory(16L << 20));
        QmpServer[] self = new QmpServer[1];
        QmpServer.Builder b = StressServer.install(QmpServer.builder().listen(endpoint), () -> self[0])
                .errorHandler(new ErrorHandler() {
                    @Override
                    public void onError(Throwable error) {
                        logging.onError(error);
                    }

                    @Override
                    public void onFatal(String thread, Throwable error) {
                        err.println("FATAL: thread " + thread + " cannot continue: " + error);
                    }
                })
                .declare(Declaration.struct("StressHealth").member("errors", "int").member("monitor", "bool")
                        .member("main-loop", "bool").member("vcpu", "bool").member("stopped", "bool")
                        .member("input-waits", "int").member("output-disconnects", "int")
                        .member("heap-used", "int").build())
                .command(Declaration.command(HEALTH).returns("StressHealth").build(), ctx -> health(self[0]));
        QmpServer server = machine.install(b).build();
        self[0] = server;
        machine.start(server);
        server.start();
        System.out.println("ready");
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // the parent keeps stdin open while it wants the server
            }
        } finally {
            machine.close();
            server.close();
        }
    }

    /** What {@code stress-health} answers. */
    static Map<String, Object> health(QmpServer server) {
        Set<String> alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .collect(Collectors.toSet());
        QmpServer.MemoryUse use = server.memoryUse();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("errors", server.errorCount());
        r.put("monitor", alive.contains("monitor"));
        r.put("main-loop", alive.contains("main-loop"));
        r.put("vcpu", alive.contains("vcpu"));
        r.put("stopped", server.failure().isPresent());
        r.put("input-waits", use.inputWaits());
        r.put("output-disconnects", use.outputDisconnects());
        r.put("heap-used", StressServer.heapAfterGc());
        return r;
    }

    /** The command line that runs this class in a child JVM with {@code maxHeap}, on this JVM's class path. */
    static List<String> command(String maxHeap, Path socket) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + maxHeap);
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // JCTools; JDK 22 and older reject the flag
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MemoryTarget.class.getName());
        cmd.add("unix:" + socket);
        return cmd;
    }
}
