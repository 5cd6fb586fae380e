package io.jqmp.internal.wire;

import java.util.Map;

/**
 * A request that passed the shape checks: the command name, its (not yet validated) arguments,
 * its id if it had one, and whether it asked for out-of-band execution.
 */
public record Request(String command, Map<String, Object> arguments, Id id, boolean outOfBand) {

    /** A request's {@code id}: any JSON value, {@code null} included, echoed unchanged. */
    public record Id(Object value) {
    }
}
