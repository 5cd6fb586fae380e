package io.jqmp.benchmarks;

import io.jqmp.internal.wire.JsonResult;
import io.jqmp.internal.wire.JsonStreamer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * How fast does {@link JsonStreamer} frame and parse messages? Messages per second; MB/s is that
 * times {@link #request(String)}'s length. {@code realistic} is a blockdev-add as a management
 * tool sends it; {@code answer} is QEMU's answer to {@code query-yank} with 20 monitors (what the
 * proxy's upstream client reads for every out-of-band probe); {@code large} carries a 64 Ki-element
 * array (about 1 MB).
 *
 * <p>{@code feeding}: {@code whole} feeds the message at once, as the client does with what it
 * read (a plain object takes the streamer's fast path); {@code byte} feeds one byte at a time, as
 * the server does to apply back-pressure at the byte that completes a request.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Thread)
public class Framing {
    @Param({"realistic", "answer", "large"})
    public String size;

    @Param({"whole", "byte"})
    public String feeding;

    private byte[] bytes;
    private JsonStreamer streamer;

    /** The request bytes for {@code size}. */
    public static byte[] request(String size) {
        String s = switch (size) {
            case "realistic" -> "{\"execute\": \"blockdev-add\", \"arguments\": {\"driver\": \"qcow2\", "
                    + "\"node-name\": \"disk0\", \"file\": {\"driver\": \"file\", \"filename\": "
                    + "\"/var/lib/libvirt/images/guest-0001.qcow2\", \"aio\": \"native\", "
                    + "\"cache\": {\"direct\": true, \"no-flush\": false}}, \"read-only\": false, "
                    + "\"discard\": \"unmap\"}, \"id\": \"libvirt-421\"}\n";
            case "answer" -> {
                StringBuilder sb = new StringBuilder("{\"return\": [");
                for (int i = 0; i < 20; i++) {
                    sb.append(i == 0 ? "" : ", ").append("{\"type\": \"chardev\", \"id\": \"compat_monitor").append(i)
                            .append("\"}");
                }
                yield sb.append("], \"id\": 12345}\r\n").toString();
            }
            case "large" -> {
                StringBuilder sb = new StringBuilder(1 << 20);
                sb.append("{\"execute\": \"bench-ping\", \"arguments\": {\"data\": [");
                for (int i = 0; i < 65536; i++) {
                    sb.append(i == 0 ? "" : ", ").append("{\"k\": ").append(i).append('}');
                }
                yield sb.append("]}, \"id\": 1}\n").toString();
            }
            default -> throw new IllegalArgumentException("size must be realistic, answer or large, not '" + size + "'");
        };
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Setup(Level.Trial)
    public void setUp() {
        bytes = request(size);
        streamer = new JsonStreamer();
        if (!feeding.equals("whole") && !feeding.equals("byte")) {
            throw new IllegalArgumentException("feeding must be whole or byte, not '" + feeding + "'");
        }
        JsonResult r = parse();
        if (!(r instanceof JsonResult.Value)) {
            throw new IllegalStateException("the " + size + " message does not parse: " + r);
        }
    }

    @Benchmark
    public JsonResult parse() {
        if (feeding.equals("whole")) {
            streamer.feed(bytes, 0, bytes.length);
        } else {
            for (byte b : bytes) {
                streamer.feed(b);
            }
        }
        return streamer.poll();
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(Framing.class.getSimpleName()).build()).run();
    }
}
