package io.jqmp.server;

/** Which form of the protocol a server speaks. */
public enum Dialect {
    /**
     * QMP as QEMU 4.0 and later speak it: {@code exec-oob}, optional ids, back-pressure by not
     * reading, parse errors answered in order.
     */
    CURRENT("current"),
    /**
     * The form out-of-band execution was first shipped in (QEMU 2.12): {@code "control":
     * {"run-oob": true}}, an id on every command once OOB is on, a full queue drops the request
     * and emits {@code COMMAND_DROPPED}, errors answered at once.
     */
    V2_12("2.12");

    private final String label;

    Dialect(String label) {
        this.label = label;
    }

    /**
     * The dialect's name, as {@code jqmp serve --dialect} takes it.
     *
     * @return {@code current} or {@code 2.12}
     */
    public String label() {
        return label;
    }

    /**
     * The dialect of a label.
     *
     * @param text {@code current} or {@code 2.12}
     * @return the dialect
     * @throws IllegalArgumentException for any other text
     */
    public static Dialect parse(String text) {
        for (Dialect d : values()) {
            if (d.label.equals(text)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown dialect '" + text + "' (expected 'current' or '2.12')");
    }
}
