/**
 * Internal: the runtime's JDK Flight Recorder events. {@link io.jqmp.internal.jfr.CommandEvent}
 * ({@code io.jqmp.Command}) times each command through its stages, from the reader to the socket.
 * Recordings name events, not classes, so nothing here is exported; see {@code docs/observability.md}
 * for how to record and read them.
 */
package io.jqmp.internal.jfr;
