package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TLS benchmark's set-up works for both transports, and a probe is answered. */
class TlsOobLatencyTest {

    @Test
    void bothTransportsProbe() throws Exception {
        for (String transport : new String[] {"tcp", "tls"}) {
            TlsOobLatency b = new TlsOobLatency();
            b.transport = transport;
            b.setUp();
            try {
                assertEquals(Map.of(), b.probe(), transport);
            } finally {
                b.tearDown();
            }
        }
    }
}
