package io.jqmp.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * What input costs in heap: the bytes the streamer allocates for a large string token, counted by
 * the JVM per thread ({@code com.sun.management.ThreadMXBean}), and what it reports as retained.
 */
class JsonStreamerMemoryTest {
    private static final int SIZE = 8 << 20;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocated() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    private static void feedRepeated(JsonStreamer s, byte b, int count) {
        byte[] block = new byte[16 * 1024];
        Arrays.fill(block, b);
        for (int done = 0; done < count; done += block.length) {
            s.feed(block, 0, Math.min(block.length, count - done));
        }
    }

    @Test
    void aPartialStringCostsItsBytesRoundedToAChunk() {
        JsonStreamer s = new JsonStreamer();
        long before = allocated();
        s.feed((byte) '"');
        feedRepeated(s, (byte) 'a', SIZE);
        long cost = allocated() - before;
        // A growing array would have allocated about twice the bytes (every doubling copies).
        assertTrue(cost < SIZE + SIZE / 50, "feeding " + SIZE + " bytes allocated " + cost);
        assertTrue(s.retainedBytes() >= SIZE && s.retainedBytes() < SIZE + SIZE / 50, "retained " + s.retainedBytes());
    }

    @Test
    void aCompletedStringIsDecodedOnceAtItsFinalSize() {
        JsonStreamer s = new JsonStreamer();
        s.feed((byte) '"');
        feedRepeated(s, (byte) 'a', SIZE);
        long before = allocated();
        s.feed((byte) '"');
        JsonResult r = s.poll();
        long cost = allocated() - before;
        String value = (String) assertInstanceOf(JsonResult.Value.class, r).value();
        assertEquals(SIZE, value.length());
        // One copy out of the chunks and the string itself; a growing builder costs about 3x.
        assertTrue(cost < 2 * SIZE + SIZE / 10, "completing allocated " + cost);
        assertTrue(s.retainedBytes() <= 8 * 1024, "after the value the streamer keeps " + s.retainedBytes());
    }

    @Test
    void aNonAsciiStringIsDecodedIntoAnArrayOfItsLength() {
        JsonStreamer s = new JsonStreamer();
        s.feed((byte) '"');
        byte[] euro = {(byte) 0xE2, (byte) 0x82, (byte) 0xAC}; // U+20AC, one UTF-16 unit from three bytes
        int count = SIZE / 3;
        byte[] block = new byte[3 * 5000];
        for (int i = 0; i < block.length; i++) {
            block[i] = euro[i % 3];
        }
        for (int done = 0; done < count; done += 5000) {
            int n = Math.min(5000, count - done);
            s.feed(block, 0, 3 * n);
        }
        long before = allocated();
        s.feed((byte) '"');
        String value = (String) ((JsonResult.Value) s.poll()).value();
        long cost = allocated() - before;
        assertEquals(count, value.length());
        assertEquals('\u20AC', value.charAt(count - 1));
        // A char array of the length (2 bytes a char), the string made from it (as much again) and
        // the JDK's failed attempt to compress it (1 byte a char); a growing builder costs more.
        assertTrue(cost < 5L * count + SIZE / 10, "completing allocated " + cost);
    }
}
