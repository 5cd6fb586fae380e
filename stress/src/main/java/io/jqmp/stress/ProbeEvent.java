package io.jqmp.stress;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A prober's round trip as the JFR event {@code io.jqmp.bench.Probe} (the name the benchmarks'
 * {@code StageBreakdown} joins with the server's {@code io.jqmp.Command} events): begins before
 * the request is written, ends when its answer is read. Recorded only when a recording enables it,
 * e.g. {@code JAVA_TOOL_OPTIONS=-XX:StartFlightRecording:settings=...} around {@code ./jqmp stress}.
 */
@Name("io.jqmp.bench.Probe")
@Label("QMP Probe")
@Category({"jqmp", "bench"})
@Description("One request's round trip as the client saw it")
@StackTrace(false)
final class ProbeEvent extends jdk.jfr.Event {
    @Label("Request Id")
    @Description("The request's id as JSON text")
    String requestId;

    @Label("Phase")
    @Description("The part of the run the probe belongs to")
    String phase;
}
