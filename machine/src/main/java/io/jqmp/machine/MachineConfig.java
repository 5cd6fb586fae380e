package io.jqmp.machine;

import java.util.Locale;
import java.util.Objects;

/**
 * What a {@link Machine} is made of. Immutable; any thread.
 *
 * @param name      the guest name ({@code query-name}), or null
 * @param memory    guest memory in bytes, a positive multiple of 4096
 * @param dirtyRate pages per second the vCPU writes while the machine runs
 * @param incoming  migration URI to listen on at start ({@code tcp:HOST:PORT}, {@code unix:PATH}),
 *                  {@code defer} to wait for {@code migrate-incoming}, or null for a source machine
 * @param seed      seed of the initial memory contents
 */
public record MachineConfig(String name, long memory, long dirtyRate, String incoming, long seed) {
    /** 256 MiB, as {@code jqmp serve} starts by default. */
    public static final long DEFAULT_MEMORY = 256L << 20;
    /** Pages per second written by the default vCPU. */
    public static final long DEFAULT_DIRTY_RATE = 1000;

    public MachineConfig {
        if (memory <= 0 || memory % GuestMemory.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("memory must be a positive multiple of 4096 bytes, got " + memory);
        }
        if (memory / GuestMemory.PAGE_SIZE > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory is too large: " + memory);
        }
        if (dirtyRate < 0) {
            throw new IllegalArgumentException("dirty rate must not be negative, got " + dirtyRate);
        }
        if (incoming != null && !incoming.equals("defer")) {
            MigrationUri.parse(incoming);
        }
    }

    /** A source machine with the defaults. */
    public static MachineConfig defaults() {
        return new MachineConfig(null, DEFAULT_MEMORY, DEFAULT_DIRTY_RATE, null, 1);
    }

    public MachineConfig withName(String n) {
        return new MachineConfig(n, memory, dirtyRate, incoming, seed);
    }

    public MachineConfig withMemory(long bytes) {
        return new MachineConfig(name, bytes, dirtyRate, incoming, seed);
    }

    public MachineConfig withDirtyRate(long pagesPerSecond) {
        return new MachineConfig(name, memory, pagesPerSecond, incoming, seed);
    }

    public MachineConfig withIncoming(String uri) {
        return new MachineConfig(name, memory, dirtyRate, uri, seed);
    }

    public MachineConfig withSeed(long s) {
        return new MachineConfig(name, memory, dirtyRate, incoming, s);
    }

    /**
     * Parses a size such as {@code 256M}: a whole number of bytes with an optional suffix K, M or
     * G (powers of 1024, either case).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static long parseSize(String text) {
        Objects.requireNonNull(text);
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        } else if (t.endsWith("G")) {
            unit = 1L << 30;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t);
            if (n <= 0) {
                throw new IllegalArgumentException("size must be positive: '" + text + "'");
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a size (use e.g. 256M, 1G, 65536K): '" + text + "'");
        }
    }
}
