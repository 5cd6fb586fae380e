package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Records the JFR event {@code jdk.VirtualThreadPinned} while a test class runs and fails the
 * class if a virtual thread blocked while pinned to its carrier (on Java 21 that is what
 * {@code synchronized} around blocking I/O does).
 */
public final class PinningRecorder implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PinningRecorder.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Recording recording = new Recording();
        recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ofMillis(1)).withStackTrace();
        recording.start();
        context.getStore(NS).put("recording", recording);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try (Recording recording = context.getStore(NS).remove("recording", Recording.class)) {
            recording.stop();
            Path file = Files.createTempFile("pinning", ".jfr");
            try {
                recording.dump(file);
                List<String> pinned = new ArrayList<>();
                for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                    if (e.getEventType().getName().equals("jdk.VirtualThreadPinned") && !jdkStartup(e) && !jdkInternal(e)) {
                        pinned.add(describe(e));
                    }
                }
                if (!pinned.isEmpty()) {
                    fail("virtual threads were pinned while blocking:\n" + String.join("\n", pinned));
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * The JDK's own one-time class initialisation (e.g. the first virtual thread to block on a
     * socket waits while another initialises {@code sun.nio.ch.Poller}, or two TLS handshakes
     * meet in {@code com.sun.crypto.provider.HKDFKeyDerivation}): not ours to fix.
     */
    private static boolean jdkStartup(RecordedEvent e) {
        if (!e.hasField("pinnedReason")) {
            return false;
        }
        String reason = String.valueOf((Object) e.getValue("pinnedReason"));
        return reason.matches("Waited for initialization of (java|javax|jdk|sun|com\\.sun)\\..* by another thread");
    }

    /**
     * A virtual thread the JDK could not unmount while it waited for one of the JDK's own monitors
     * (seen on JDK 25: a test client's read ending while its channel is closed waits for the
     * channel's internal lock in {@code AbstractInterruptibleChannel}; on a starved machine, two
     * TLS handshakes contending for a monitor of the SunJCE provider in {@code com.sun.crypto.provider}):
     * the monitor and the frame that pins are the JDK's, not ours to fix.
     */
    private static boolean jdkInternal(RecordedEvent e) {
        if (!e.hasField("pinnedReason") || e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) {
            return false;
        }
        String reason = String.valueOf((Object) e.getValue("pinnedReason"));
        String top = e.getStackTrace().getFrames().get(0).getMethod().getType().getName();
        return reason.startsWith("Freeze or preempt failed") && top.matches("(java|javax|jdk|sun|com\\.sun)\\..*");
    }

    private static String describe(RecordedEvent e) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.getDuration().toMillis()).append(" ms on ")
                .append(e.getThread() == null ? "?" : e.getThread().getJavaName());
        for (String field : new String[] {"pinnedReason", "blockingOperation"}) {
            if (e.hasField(field)) {
                sb.append(", ").append(field).append('=').append((Object) e.getValue(field));
            }
        }
        if (e.getStackTrace() != null) {
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                sb.append("\n    at ").append(f.getMethod().getType().getName()).append('.')
                        .append(f.getMethod().getName()).append(':').append(f.getLineNumber());
            }
        }
        return sb.toString();
    }
}
