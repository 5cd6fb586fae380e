package io.jqmp.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * One command's way through the server, as the JFR event {@code io.jqmp.Command}: it begins when
 * the reader has the complete request and ends when the answer is written to the socket; its
 * fields say how long each stage in between took.
 *
 * <pre>
 * complete ─routing─► queued ─queueing─► started ─execution─► answered ─output queueing─► taken ─writing─► written
 *  (reader)          (reader)      (monitor or main loop)      (handed to the connection)  (writer)        (socket)
 * </pre>
 *
 * <p>Nothing is allocated or timed unless a recording enables the event: {@link #beginIfEnabled}
 * returns null then, and every later step is skipped for a null event. An event is committed
 * when its answer is written (or, for {@code success-response: false}, when the command
 * finished), if it took at least the recording's threshold: 10 ms unless the recording sets
 * another (as the JDK's own socket events, so an always-on recording keeps only slow commands;
 * {@code io.jqmp.Command#threshold=0ms} records every one); a command whose connection closes
 * first is not recorded.
 *
 * <p>Threading: each stage is marked by the thread that performs it (reader, executor, writer);
 * the queues between those threads order the marks, so the event needs no locking.
 */
@Name(CommandEvent.NAME)
@Label("QMP Command")
@Category("jqmp")
@Description("A QMP command from its complete request in the reader to its answer written to the socket")
@StackTrace(false)
@Threshold("10 ms")
public final class CommandEvent extends Event {
    /** The event's name in recordings ({@code jfr print --events io.jqmp.Command}). */
    public static final String NAME = "io.jqmp.Command";

    /** Only asked whether the event is enabled: never committed. */
    private static final CommandEvent PROBE = new CommandEvent();

    @Label("Connection")
    @Description("The connection's number, as in the server's log and its reader thread's name")
    long connection;

    @Label("Command")
    String command;

    @Label("Request Id")
    @Description("The request's id as JSON text, or null without one")
    String requestId;

    @Label("Out-of-Band")
    @Description("Sent with exec-oob and run on the monitor thread (else in-band, on the main loop)")
    boolean outOfBand;

    @Label("Request Size")
    @Description("Bytes read for this request, whitespace before it included")
    @DataAmount
    long requestSize;

    @Label("Answer Size")
    @DataAmount
    long answerSize;

    @Label("Routing")
    @Description("Complete request to queued for its executor: checks, argument validation, hand-off")
    @Timespan
    long routing;

    @Label("Queueing")
    @Description("Queued to started on the monitor thread or the main loop: waiting for the executor")
    @Timespan
    long queueing;

    @Label("Execution")
    @Description("Started to answer handed to the connection: the handler and encoding the answer")
    @Timespan
    long execution;

    @Label("Output Queueing")
    @Description("Answer handed to the connection to taken by its writer: waiting for the writer thread")
    @Timespan
    long outputQueueing;

    @Label("Writing")
    @Description("Taken by the writer to written to the socket (with whatever was queued with it)")
    @Timespan
    long writing;

    // Stage times (System.nanoTime), not recorded themselves.
    private transient long completeAt;
    private transient long queuedAt;
    private transient long startedAt;
    private transient long answeredAt;
    private transient long takenAt;

    /**
     * Reader thread, when a request is complete: a started event, or null (at no cost beyond the
     * check) when no recording enables it.
     */
    public static CommandEvent beginIfEnabled(long connection, long requestSize) {
        if (!PROBE.isEnabled()) {
            return null;
        }
        CommandEvent e = new CommandEvent();
        e.begin();
        e.completeAt = System.nanoTime();
        e.connection = connection;
        e.requestSize = requestSize;
        return e;
    }

    /** Reader thread: what the request turned out to be, once it is bound to its command. */
    public void identify(String command, String requestId, boolean outOfBand) {
        this.command = command;
        this.requestId = requestId;
        this.outOfBand = outOfBand;
    }

    /** Reader thread: about to be queued for the monitor thread or the main loop. */
    public void queued() {
        queuedAt = System.nanoTime();
    }

    /** Executor thread: the command starts. */
    public void started() {
        startedAt = System.nanoTime();
    }

    /** Executor thread: the answer, {@code bytes} long, is handed to the connection. */
    public void answered(int bytes) {
        answeredAt = System.nanoTime();
        answerSize = bytes;
    }

    /** Writer thread: the answer is taken from the connection's queue. */
    public void taken() {
        takenAt = System.nanoTime();
    }

    /** Writer thread: the answer is written to the socket; records the event. */
    public void written() {
        record(System.nanoTime());
    }

    /** Executor thread: the command succeeded and, declared {@code success-response: false}, has no answer. */
    public void finishedWithoutAnswer() {
        long now = System.nanoTime();
        answeredAt = now;
        takenAt = now;
        record(now);
    }

    private void record(long now) {
        end();
        routing = queuedAt - completeAt;
        queueing = startedAt - queuedAt;
        execution = answeredAt - startedAt;
        outputQueueing = takenAt - answeredAt;
        writing = now - takenAt;
        commit();
    }
}
