package io.jqmp.benchmarks;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The client's side of one probe, as the JFR event {@code io.jqmp.bench.Probe}: it begins before
 * the request is written and ends when its answer has been read. Recorded in the same JVM as the
 * server's {@code io.jqmp.Command} events, so {@link StageBreakdown} can put the two on one clock.
 */
@Name(ProbeEvent.NAME)
@Label("QMP Probe")
@Category({"jqmp", "bench"})
@Description("One request's round trip as the client saw it")
@StackTrace(false)
final class ProbeEvent extends jdk.jfr.Event {
    static final String NAME = "io.jqmp.bench.Probe";

    @Label("Request Id")
    @Description("The request's id as JSON text")
    String requestId;

    @Label("Phase")
    @Description("The part of the run the probe belongs to (StageBreakdown makes a table per phase)")
    String phase;
}
