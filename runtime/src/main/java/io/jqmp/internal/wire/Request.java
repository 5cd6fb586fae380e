package io.jqmp.internal.wire;

import java.util.Map;

/**
 * A request that passed the shape checks: the command name, its (not yet validated) arguments,
 * its id if it had one, and whether it asked for out-of-band execution.
 */
public record Request(String command, Map<String, Object> arguments, Id id, boolean outOfBand) {

    /**
     * A request's {@code id}: any JSON value, {@code null} included, echoed as QEMU echoes it (an
     * object as QEMU writes the QDict it parsed, so objects received in their wire order are
     * taken as built: {@link ReceivedObject#asBuilt}).
     */
    public record Id(Object value) {
        public Id {
            value = ReceivedObject.asBuilt(value);
        }
    }
}
