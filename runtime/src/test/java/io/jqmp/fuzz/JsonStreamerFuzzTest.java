package io.jqmp.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuzzes the input framing and parser. For any bytes: no exception escapes, every result is a
 * value or an error with one of QEMU's texts, and a control byte always brings the streamer back
 * to a state where a well-formed object parses (the documented way to resynchronise).
 *
 * <p>Under plain JUnit this replays the corpus in {@code JsonStreamerFuzzTestInputs/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see {@code ./jqmp fuzz}).
 */
class JsonStreamerFuzzTest {
    private static final Set<String> LIMIT_ERRORS = Set.of("JSON token size limit exceeded",
            "JSON token count limit exceeded", "JSON nesting depth limit exceeded");
    private static final byte[] RESYNC = "\u0001{\"a\": 1}".getBytes(StandardCharsets.US_ASCII);

    @FuzzTest(maxDuration = "10s")
    void defaultLimits(byte[] input) {
        check(new JsonStreamer(), input);
    }

    /** Small limits so short inputs reach the limit paths too. */
    @FuzzTest(maxDuration = "10s")
    void smallLimits(byte[] input) {
        check(new JsonStreamer(64, 16, 4), input);
    }

    private static void check(JsonStreamer streamer, byte[] input) {
        List<JsonResult> results;
        try {
            results = streamer.feedAll(input);
        } catch (RuntimeException e) {
            throw new AssertionError("exception escaped for input " + Corpus.show(input), e);
        }
        results.forEach(r -> checkResult(r, input));
        List<JsonResult> after = streamer.feedAll(RESYNC);
        assertTrue(!after.isEmpty(), "nothing after resynchronising: " + Corpus.show(input));
        after.forEach(r -> checkResult(r, input));
        JsonResult last = after.get(after.size() - 1);
        if (!(last instanceof JsonResult.Value v) || !(v.value() instanceof Map<?, ?> m)) {
            fail("after a control byte, {\"a\": 1} gave " + last + " for input " + Corpus.show(input));
            return;
        }
        assertEquals(Map.of("a", 1L), m, Corpus.show(input));
    }

    private static void checkResult(JsonResult r, byte[] input) {
        if (r instanceof JsonResult.Error e) {
            assertTrue(e.desc().startsWith("JSON parse error, ") || LIMIT_ERRORS.contains(e.desc()),
                    "unexpected error text '" + e.desc() + "' for input " + Corpus.show(input));
        }
    }
}
