package io.jqmp.stress;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * The progress line: every second it redraws one line with CR (on a terminal), or prints a line
 * every 5 s (when output goes to a file or pipe). Runs on its own daemon platform thread.
 *
 * <p>Threading: {@link #status} and {@link #close} may be called from any thread.
 */
final class Progress implements AutoCloseable {
    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private volatile String name = "";
    private volatile Supplier<String> status = () -> "";
    private final Thread thread;
    private volatile boolean stop;

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
        this.thread = Thread.ofPlatform().daemon().name("stress-progress").start(this::loop);
    }

    void status(String name, Supplier<String> status) {
        this.name = name;
        this.status = status;
    }

    private void loop() {
        long period = terminal ? 1_000 : 5_000;
        while (!stop) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            if (stop) {
                return;
            }
            String line = line();
            if (terminal) {
                out.print("\r" + line + "\u001b[K");
            } else {
                out.println(line);
            }
            out.flush();
        }
    }

    private String line() {
        long s = (System.nanoTime() - startNanos) / 1_000_000_000L;
        String st;
        try {
            st = status.get();
        } catch (RuntimeException e) {
            st = "(status unavailable: " + e + ")";
        }
        return String.format("[%3ds] %s %s", s, name, st);
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (terminal) {
            out.print("\r\u001b[K");
            out.flush();
        }
    }
}
