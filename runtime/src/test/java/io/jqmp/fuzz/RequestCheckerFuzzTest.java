package io.jqmp.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import io.jqmp.protocol.QmpException;
import io.jqmp.internal.wire.Request;
import io.jqmp.internal.wire.RequestChecker;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Fuzzes request validation: every value the parser makes of arbitrary bytes goes through
 * {@link RequestChecker#check} and {@link RequestChecker#check212} with and without OOB. Either a
 * request comes back that agrees with the value, or a {@link QmpException} with one of QEMU's
 * texts; nothing else may escape.
 */
class RequestCheckerFuzzTest {
    private static final Pattern ERROR_TEXT = Pattern.compile("QMP input must be a JSON object"
            + "|QMP input member '[^']*' is unexpected"
            + "|QMP input member '(execute|exec-oob)' must be a string"
            + "|QMP input member 'execute' clashes with 'exec-oob'"
            + "|QMP input member 'arguments' must be an object"
            + "|QMP input lacks member 'execute'"
            + "|QMP input member 'control' must be a dict"
            + "|QMP input member 'control' has unknown member '.*'"
            + "|QMP input member 'control.run-oob' must be a boolean"
            + "|Please enable Out-Of-Band first for the session during capabilities negotiation"
            + "|Out-Of-Band capability requires that every command contains an 'id' field", Pattern.DOTALL);

    @FuzzTest(maxDuration = "10s")
    void checkParsedValues(byte[] input) {
        List<JsonResult> results = new JsonStreamer().feedAll(input);
        for (JsonResult r : results) {
            if (r instanceof JsonResult.Value v) {
                for (boolean oob : new boolean[] {false, true}) {
                    checkCurrent(v.value(), oob, input);
                    check212(v.value(), oob, input);
                }
            }
        }
    }

    private static void checkCurrent(Object value, boolean oob, byte[] input) {
        Request req;
        try {
            req = RequestChecker.check(value, oob);
        } catch (QmpException e) {
            assertTrue(ERROR_TEXT.matcher(e.getMessage()).matches(), "unexpected text '" + e.getMessage() + "' for " + Corpus.show(input));
            return;
        }
        Map<?, ?> m = (Map<?, ?>) value;
        assertNotNull(req.command());
        assertEquals(req.outOfBand(), m.containsKey("exec-oob"), Corpus.show(input));
        assertEquals(req.command(), m.get(req.outOfBand() ? "exec-oob" : "execute"), Corpus.show(input));
        assertTrue(oob || !req.outOfBand(), "out-of-band request accepted without oob: " + Corpus.show(input));
        assertEquals(m.containsKey("id"), req.id() != null, Corpus.show(input));
    }

    private static void check212(Object value, boolean oob, byte[] input) {
        try {
            Request req = RequestChecker.check212(value, oob);
            assertEquals(((Map<?, ?>) value).get("execute"), req.command(), Corpus.show(input));
        } catch (QmpException e) {
            assertTrue(ERROR_TEXT.matcher(e.getMessage()).matches(), "unexpected text '" + e.getMessage() + "' for " + Corpus.show(input));
        }
    }
}
