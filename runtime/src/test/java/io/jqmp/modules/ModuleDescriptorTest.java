package io.jqmp.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's module descriptor: it exports the API packages only, requires only Jackson Jr,
 * jackson-core and JCTools, and a server started from it on a real module path works (the tests
 * themselves run on the class path, where the descriptor is not enforced).
 */
class ModuleDescriptorTest {
    static final Path CLASSES = Path.of("target", "classes");

    static ModuleDescriptor descriptor() {
        return ModuleFinder.of(CLASSES).find("io.jqmp").orElseThrow().descriptor();
    }

    @Test
    void exportsOnlyTheApi() {
        ModuleDescriptor d = descriptor();
        assertEquals(Set.of("io.jqmp.client", "io.jqmp.protocol", "io.jqmp.schema", "io.jqmp.server"),
                d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        assertTrue(d.opens().isEmpty() && !d.isOpen());
        for (String p : d.packages()) {
            if (d.exports().stream().noneMatch(e -> e.source().equals(p))) {
                assertTrue(p.startsWith("io.jqmp.internal."), "an unexported package outside io.jqmp.internal: " + p);
            }
        }
    }

    @Test
    void requiresOnlyJacksonJrJacksonCoreAndJctools() {
        Set<String> required = descriptor().requires().stream()
                .filter(r -> !r.modifiers().contains(ModuleDescriptor.Requires.Modifier.MANDATED))
                .map(ModuleDescriptor.Requires::name).collect(Collectors.toCollection(TreeSet::new));
        // Of the JDK's own modules only the flight recorder (the io.jqmp.Command event).
        assertEquals(Set.of("com.fasterxml.jackson.core", "com.fasterxml.jackson.jr.ob", "org.jctools.core.jdk11",
                "jdk.jfr"), required);
    }

    @Test
    void internalsAndTestHooksAreNotApi() throws Exception {
        ModuleDescriptor d = descriptor();
        Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        for (String internal : List.of("io.jqmp.internal.wire.JsonStreamer", "io.jqmp.internal.wire.RequestChecker",
                "io.jqmp.internal.wire.Messages", "io.jqmp.internal.dispatch.MainLoop",
                "io.jqmp.internal.dispatch.Monitor", "io.jqmp.internal.dispatch.RoleRunner",
                "io.jqmp.internal.dispatch.Role", "io.jqmp.internal.mapping.Mapping")) {
            String pkg = internal.substring(0, internal.lastIndexOf('.'));
            assertFalse(exported.contains(pkg), internal);
            Class.forName(internal); // and it still exists where this test says it is
        }
        List<String> serverMethods = Arrays.stream(Class.forName("io.jqmp.server.QmpServer").getMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers())).map(Method::getName).toList();
        assertFalse(serverMethods.contains("releaseOobTestLock"), "a test hook on the public server");
    }

    @Test
    void aServerRunsFromTheModulePath(@TempDir Path dir) throws Exception {
        // The module and its dependencies, found where the class path has them.
        List<Path> path = new java.util.ArrayList<>(List.of(CLASSES));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("jackson-core-") || name.startsWith("jackson-jr-objects-")
                    || name.startsWith("jctools-core-")) {
                path.add(Path.of(entry));
            }
        }
        ModuleFinder finder = ModuleFinder.of(path.toArray(Path[]::new));
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("io.jqmp"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        Class<?> serverClass = layer.findLoader("io.jqmp").loadClass("io.jqmp.server.QmpServer");
        assertTrue(serverClass.getModule().isNamed());
        assertFalse(serverClass.getModule().isExported("io.jqmp.internal.wire"));

        // The flight-recorder event works from a named module that does not export its package.
        java.util.concurrent.CountDownLatch recorded = new java.util.concurrent.CountDownLatch(1);
        List<String> commands = new java.util.concurrent.CopyOnWriteArrayList<>();
        jdk.jfr.consumer.RecordingStream events = new jdk.jfr.consumer.RecordingStream();
        events.enable("io.jqmp.Command").withoutThreshold();
        events.onEvent("io.jqmp.Command", e -> {
            commands.add(e.getString("command"));
            recorded.countDown();
        });
        events.startAsync();

        Path sock = dir.resolve("qmp.sock");
        Object builder = serverClass.getMethod("builder").invoke(null);
        builder.getClass().getMethod("listen", String.class).invoke(builder, "unix:" + sock);
        Object server = builder.getClass().getMethod("build").invoke(builder);
        serverClass.getMethod("start").invoke(server);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            OutputStream out = Channels.newOutputStream(ch);
            assertTrue(in.readLine().startsWith("{\"QMP\": {\"version\""));
            out.write("{\"execute\": \"qmp_capabilities\"}{\"execute\": \"query-version\", \"id\": 1}"
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals("{\"return\": {}}", in.readLine());
            assertEquals("{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"jqmp 0.1.0\"},"
                    + " \"id\": 1}", in.readLine());
            assertTrue(recorded.await(20, java.util.concurrent.TimeUnit.SECONDS), "no io.jqmp.Command event");
            assertEquals(List.of("query-version"), commands);
        } finally {
            events.close();
            serverClass.getMethod("close").invoke(server);
        }
    }
}
