package io.jqmp.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy's rules one by one; ProxyTest and ProxyQemuTest check that a refusal reaches the client. */
class ProxyPolicyTest {
    private static final String REFUSED = "The command %s is refused by this QMP proxy's policy: ";
    private static final String READ_ONLY = REFUSED + "--read-only passes only query-* and qmp_capabilities,"
            + " x-query-*, qom-get, qom-list, qom-list-types, qom-list-properties, device-list-properties";

    @Test
    void aQuestionMarkIsOneCharacterAndADotIsADot() {
        ProxyPolicy policy = new ProxyPolicy(List.of(), List.of("block-job-?et", "x.y"), false);
        assertEquals(REFUSED.formatted("block-job-set") + "it matches --deny 'block-job-?et'",
                policy.refusal("block-job-set"));
        assertNull(policy.refusal("block-job-et"));
        assertNull(policy.refusal("block-job-reset"));
        assertEquals(REFUSED.formatted("x.y") + "it matches --deny 'x.y'", policy.refusal("x.y"));
        assertNull(policy.refusal("x-y"));
    }

    @Test
    void denyWinsOverAllow() {
        ProxyPolicy policy = new ProxyPolicy(List.of("query-*", "stop"), List.of("query-cpus*"), false);
        assertNull(policy.refusal("query-status"));
        assertNull(policy.refusal("stop"));
        assertEquals(REFUSED.formatted("query-cpus-fast") + "it matches --deny 'query-cpus*'",
                policy.refusal("query-cpus-fast"));
        assertEquals(REFUSED.formatted("cont") + "it matches no --allow pattern", policy.refusal("cont"));
    }

    @Test
    void readOnlyAndAllowMustBothPass() {
        ProxyPolicy policy = new ProxyPolicy(List.of("query-status", "qom-*", "stop"), List.of(), true);
        assertNull(policy.refusal("query-status"));
        assertNull(policy.refusal("qom-get"));
        assertEquals(READ_ONLY.formatted("qom-set"), policy.refusal("qom-set"));
        assertEquals(READ_ONLY.formatted("stop"), policy.refusal("stop"));
        assertEquals(REFUSED.formatted("query-version") + "it matches no --allow pattern",
                policy.refusal("query-version"));
    }

    @Test
    void readOnlyPassesQueriesAndTheSafeList() {
        ProxyPolicy policy = new ProxyPolicy(List.of(), List.of(), true);
        for (String command : List.of("query-version", "qmp_capabilities", "x-query-roms", "qom-list",
                "device-list-properties")) {
            assertNull(policy.refusal(command), command);
        }
        assertEquals(READ_ONLY.formatted("query"), policy.refusal("query"));
        assertEquals(READ_ONLY.formatted("x-query"), policy.refusal("x-query"));
        assertEquals(READ_ONLY.formatted("qom-get-all"), policy.refusal("qom-get-all"));
        assertNull(ProxyPolicy.OPEN.refusal("quit"));
    }
}
