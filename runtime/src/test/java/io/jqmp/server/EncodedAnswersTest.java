package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An upstream's answer bytes with the client's id put in place of the upstream's. */
class EncodedAnswersTest {

    /** The answer with the client's id, or "null" when the shape is refused; the id to replace is the first "7". */
    private static String withId(String upstream, String clientId) {
        byte[] b = upstream.getBytes(StandardCharsets.US_ASCII);
        int from = upstream.indexOf("\"id\": 7") + 6;
        byte[] out = EncodedAnswers.withId(b, from, from + 1, clientId);
        return out == null ? "null" : new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void aSuccessTakesTheClientsIdLast() {
        String up = "{\"return\": {\"status\": \"running\", \"singlestep\": false}, \"id\": 7}";
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false}, \"id\": \"a\"}\r\n", withId(up, "\"a\""));
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false}, \"id\": 123456789}\r\n",
                withId(up, "123456789"));
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false}, \"id\": {\"b\": [1, null]}}\r\n",
                withId(up, "{\"b\": [1, null]}"));
        assertEquals("{\"return\": {\"status\": \"running\", \"singlestep\": false}, \"id\": null}\r\n", withId(up, "null"));
    }

    @Test
    void aSuccessWithoutAClientIdLosesTheMemberAndItsSeparator() {
        assertEquals("{\"return\": {}}\r\n", withId("{\"return\": {}, \"id\": 7}", null));
    }

    @Test
    void anErrorTakesTheClientsIdFirst() {
        String up = "{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x has not been found\"}}";
        assertEquals("{\"id\": -3, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x has not been found\"}}\r\n",
                withId(up, "-3"));
        assertEquals("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x has not been found\"}}\r\n",
                withId(up, null));
    }

    @Test
    void anIdAloneLeavesAnEmptyObject() {
        assertEquals("{}\r\n", withId("{\"id\": 7}", null));
        assertEquals("{\"id\": 8}\r\n", withId("{\"id\": 7}", "8"));
    }

    @Test
    void bytesOfAnotherShapeAreRefused() {
        byte[] b = "{\"return\": {}, \"id\": 7}".getBytes(StandardCharsets.US_ASCII);
        assertNull(EncodedAnswers.withId(b, 3, 4, "1"), "no \"id\": before the span");
        assertNull(EncodedAnswers.withId(b, 21, 21, "1"), "an empty span");
        assertNull(EncodedAnswers.withId(b, 21, b.length, "1"), "a span that takes the closing brace");
        assertNull(EncodedAnswers.withId(b, -1, 2, "1"), "a span before the start");
    }

    @Test
    void parsingFallsBackOnTheMembersAndRefusesWhatIsNoObject() {
        assertEquals(Map.of("return", Map.of(), "id", 7L), EncodedAnswers.parse("{\"return\": {}, \"id\": 7}".getBytes(StandardCharsets.US_ASCII)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EncodedAnswers.parse("[1]".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("an encoded answer must be one JSON object: [1]", e.getMessage());
    }
}
