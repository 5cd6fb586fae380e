package io.jqmp.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportPartsTest {
    @TempDir
    Path dir;

    @Test
    void plotIsAPngOfTheDocumentedSize() throws IOException {
        Histogram h = new Histogram(3);
        for (int i = 1; i <= 1000; i++) {
            h.recordValue(i * 1000L); // 1 µs .. 1 ms
        }
        PercentilePlot plot = new PercentilePlot("test").add("a", h).add("empty", new Histogram(3));
        assertEquals(1, plot.size());
        Path png = dir.resolve("sub/p.png");
        plot.write(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(560, img.getHeight());
        assertEquals(0xffffff, img.getRGB(2, 2) & 0xffffff);
    }

    @Test
    void microsFormatting() {
        Histogram h = new Histogram(3);
        h.recordValue(12_000);
        assertEquals("12.0", ReportWriter.micros(h, 50));
        h.reset();
        h.recordValue(1_000_000);
        assertEquals("1,000", ReportWriter.micros(h, 50));
        assertEquals("n/a", ReportWriter.micros(null, 50));
        assertEquals("1,000,447", ReportWriter.nanos(h, 50));
        assertEquals("n/a", ReportWriter.nanos(null, 99));
        assertEquals("n/a", ReportWriter.count(Double.NaN));
        assertEquals("11,547", ReportWriter.count(11_546.6));
    }

    @Test
    void latencyKeysNameLoadersOnlyWhenSaturated() {
        assertEquals("oob/jqmp/unix/park/oob/idle", BenchReport.latencyKey("jqmp", "unix", "park", "oob", "idle", "16"));
        assertEquals("oob/qemu/unix/park/inband/saturated/16",
                BenchReport.latencyKey("qemu", "unix", "park", "inband", "saturated", "16"));
    }

    @Test
    void framingRequestsParse() {
        for (String size : List.of("realistic", "answer", "large")) {
            byte[] b = Framing.request(size);
            List<JsonResult> r = new JsonStreamer().feedAll(b);
            assertEquals(1, r.size(), size);
            assertInstanceOf(JsonResult.Value.class, r.get(0), size);
            JsonStreamer byByte = new JsonStreamer();
            for (byte x : b) {
                byByte.feed(x);
            }
            assertEquals(r.get(0), byByte.poll(), size + " fed byte by byte");
        }
        assertEquals(292, Framing.request("realistic").length);
        assertTrue(Framing.request("large").length > 700_000);
    }

    @Test
    void savedResultsRoundTripThroughJson() throws IOException {
        java.util.LinkedHashMap<String, BenchReport.Outcome> outcomes = new java.util.LinkedHashMap<>();
        outcomes.put("oob/x", new BenchReport.Outcome(new BenchReport.Case("oob/x", OobLatency.class,
                java.util.Map.of("target", "embedded")), new BenchReport.Measured("us/op", 12.5,
                List.of(new BenchReport.Sample(10.0, 3), new BenchReport.Sample(20.0, 1)),
                java.util.Map.of("readerSuspensions", 0.0, "absent", Double.NaN)), null));
        outcomes.put("thr/y", new BenchReport.Outcome(new BenchReport.Case("thr/y", InbandThroughput.class,
                java.util.Map.of()), null, "timed out"));
        BenchReport.Saved saved = new BenchReport.Saved(true, "7.2", null, "0.5 0.4 0.3", "2026-01-01 00:00 UTC", outcomes,
                3, "/tmp/base.jar", "previous build", List.of(), List.of("-XX:+UseZGC"), List.of("1.0 0.9 0.8", "2.0 1.5 1.0"));
        Path file = dir.resolve("bench.json");
        BenchReport.SAVED_JSON.write(saved, file.toFile());
        String text = java.nio.file.Files.readString(file);
        assertTrue(text.startsWith("{\n  \"quick\" : true,\n  \"qemuVersion\" : \"7.2\","), text);
        assertEquals(saved, BenchReport.SAVED_JSON.beanFrom(BenchReport.Saved.class, file.toFile()));
        Histogram h = BenchReport.histogram(saved.outcomes().get("oob/x").result());
        assertEquals(4, h.getTotalCount());
        assertEquals(20_000, h.getMaxValue(), 20);
    }
}
