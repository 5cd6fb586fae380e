package io.jqmp.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The JSON report, written with Jackson Jr in the layout the committed results use. */
class ReportTest {
    @Test
    void jsonReportLayout() {
        ScenarioResult r = new ScenarioResult("flood", "in-band \"flood\"");
        r.metric("requests", 12L).metric("rate", 1.5).metric("empty", Map.of());
        Histogram h = new Histogram(3);
        h.recordValue(2_000);
        r.latency("oob", h);
        r.invariant("nothing lost", true, "12 of 12");
        StressOptions o = new StressOptions("flood", Duration.ofSeconds(3), 7, Path.of("r.json"), null, 4, 10, false);
        Report report = new Report(o, Instant.parse("2026-01-02T03:04:05Z"), List.of(r), Map.of("cores", 2));
        String json = report.toJson();
        assertEquals("""
                {
                  "scenario": "flood",
                  "pass": true,
                  "started": "2026-01-02T03:04:05Z",
                  "duration seconds": 3,
                  "seed": 7,
                  "environment": {
                    "cores": 2
                  },
                  "results": [
                    {
                      "name": "flood",
                      "description": "in-band \\"flood\\"",
                      "pass": true,
                      "seconds": 0.0,
                      "metrics": {
                        "requests": 12,
                        "rate": 1.5,
                        "empty": {}
                      },
                      "latencies": {
                        "oob": {
                          "count": 1,
                          "p50 us": 2.0,
                          "p90 us": 2.0,
                          "p99 us": 2.0,
                          "p99.9 us": 2.0,
                          "max us": 2.0
                        }
                      },
                      "invariants": [
                        {
                          "name": "nothing lost",
                          "held": true,
                          "detail": "12 of 12"
                        }
                      ],
                      "notes": []
                    }
                  ]
                }
                """, json);
    }
}
