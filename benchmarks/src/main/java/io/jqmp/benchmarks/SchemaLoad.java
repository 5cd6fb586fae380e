package io.jqmp.benchmarks;

import io.jqmp.schema.Defines;
import io.jqmp.schema.IntrospectOptions;
import io.jqmp.schema.Schema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
 * How long does a warm JVM take to load QEMU's whole schema (read and parse its files, check,
 * prune by the defines, precompile the argument checks), and to load it and build the
 * query-qmp-schema answer? Milliseconds per load, sampled.
 *
 * <p>{@code schema} is QEMU's {@code qapi/qapi-schema.json}; empty means
 * {@code $JQMP_QEMU_SOURCE/qapi/qapi-schema.json}. {@code defines} is a define file (run from the
 * project root for the default).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class SchemaLoad {
    @Param({""})
    public String schema;
    @Param({"docs/qemu-7.2-x86_64.defines"})
    public String defines;

    private Path file;
    private Set<String> names;

    @Setup(Level.Trial)
    public void setUp() {
        String source = System.getenv("JQMP_QEMU_SOURCE");
        file = !schema.isEmpty() ? Path.of(schema)
                : source != null ? Path.of(source, "qapi", "qapi-schema.json") : null;
        if (file == null || !Files.isRegularFile(file)) {
            throw new IllegalStateException("no QEMU schema: set JQMP_QEMU_SOURCE to a QEMU source folder or pass"
                    + " -p schema=PATH/qapi/qapi-schema.json (got " + file + ")");
        }
        names = Defines.read(Path.of(defines));
    }

    @Benchmark
    public Schema load() {
        return Schema.builder().define(names).load(file).build();
    }

    @Benchmark
    public List<Object> loadAndIntrospect() {
        return load().introspect(IntrospectOptions.DEFAULT);
    }

    /** Runs this benchmark alone with its defaults. */
    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(SchemaLoad.class.getSimpleName()).build()).run();
    }
}
