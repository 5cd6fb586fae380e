package io.jqmp.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A short profile of {@code jqmp stress all}: every scenario runs and every invariant holds. */
class StressAllTest {

    @Test
    @Timeout(180) // 27 s of scenarios, plus their drains and a postcopy iteration that may take a minute on a starved machine
    void shortProfileOfAllHoldsEveryInvariant(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("all.json");
        StressOptions o = new StressOptions("all", Duration.ofSeconds(27), 7, json, null, 4, 1_000, false);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Report report;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            report = StressMain.run(o, out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertEquals(List.of("flood", "hostile", "connections", "postcopy"), report.results().stream().map(ScenarioResult::name).toList());
        assertTrue(report.passed(), printed);
        assertTrue(printed.contains("every invariant held"), printed);
        for (ScenarioResult r : report.results()) {
            assertTrue(r.invariants().size() >= 3, r.name() + ": " + r.invariants());
        }
        // How many of the 1,000 connections fit in the opening phase depends on the machine's speed;
        // the invariants say that every one attempted was negotiated.
        ScenarioResult connections = report.results().get(2);
        long negotiated = ((Number) connections.metrics().get("negotiated")).longValue();
        assertTrue(negotiated > 0 && negotiated <= 1_000L, printed);
        assertEquals(negotiated, ((Number) connections.metrics().get("connections attempted before the opening deadline"))
                .longValue(), printed);
        ScenarioResult postcopy = report.results().get(3);
        long iterations = ((Number) postcopy.metrics().get("iterations")).longValue();
        assertTrue(iterations >= 1, printed);
        assertEquals(iterations, ((Number) postcopy.metrics().get("migrations completed and verified")).longValue(), printed);
        String written = Files.readString(json);
        assertTrue(written.startsWith("{\n  \"scenario\": \"all\",\n  \"pass\": true,"), written);
        String md = Files.readString(dir.resolve("all.md"));
        assertTrue(md.startsWith("# jqmp stress: all — PASS"), md);
        assertTrue(md.contains("## hostile — PASS"), md);
        assertTrue(md.contains("## postcopy — PASS"), md);
    }

    @Test
    void parsesTheCommandLine() {
        StressOptions o = StressMain.parse(List.of("flood", "--duration", "2m", "--seed", "42", "--report", "r.json",
                "--clients", "3", "--target", "unix:/tmp/x.sock"), false);
        assertEquals("flood", o.scenario());
        assertEquals(Duration.ofMinutes(2), o.duration());
        assertEquals(42, o.seed());
        assertEquals(Path.of("r.json"), o.report());
        assertEquals(3, o.clients());
        assertEquals("unix:/tmp/x.sock", o.target().toString());
        assertEquals(Duration.ofMillis(1500), StressMain.parseDuration("1500ms"));
        assertEquals("unknown scenario 'nope'",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> StressMain.parse(List.of("nope"), false)).getMessage());
    }
}
