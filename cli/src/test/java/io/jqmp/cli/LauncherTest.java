package io.jqmp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code jqmp} launcher script, run by bash in a scratch checkout: a copy of the script, an
 * empty "built" jar, and on the PATH only the system tools it uses plus stand-ins for java, mvn,
 * id and apt-get that log how they were called. So it runs in milliseconds and never builds,
 * installs or starts anything real.
 */
@Timeout(60)
class LauncherTest {
    private static final List<String> TOOLS = List.of("bash", "sed", "grep", "find", "mkdir", "tail", "readlink",
            "dirname", "basename", "cat", "awk", "sort", "uniq", "cut", "paste", "wc", "tr", "env", "chmod", "touch");

    @TempDir
    Path dir;
    Path root;
    Path bin;
    Path log;

    @BeforeEach
    void checkout() throws IOException {
        root = Files.createDirectories(dir.resolve("checkout"));
        Files.copy(Path.of("..", "jqmp"), root.resolve("jqmp"));
        Path jar = Files.createDirectories(root.resolve("cli/target")).resolve("jqmp-cli-0.1.0-SNAPSHOT-all.jar");
        Files.writeString(jar, "");
        bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : TOOLS) {
            Path real = which(tool);
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        log = dir.resolve("calls.log");
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        Files.writeString(jdk.getParent().resolve("release"), "JAVA_VERSION=\"25.0.3\"\n");
        script(jdk.resolve("java"), "echo \"java $*\" >> \"$LOG\"");
        script(jdk.resolve("javac"), "exit 0");
    }

    private static Path which(String tool) {
        for (String d : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException(tool + " not found in /usr/bin or /bin");
    }

    private static void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/bash\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A stand-in mvn that writes the reports a test run would: QEMU's tests pass when it is on the PATH, else skip. */
    private void fakeMaven(boolean emptyClass) throws IOException {
        fakeMaven(emptyClass, false);
    }

    /** As above; {@code knownDifference}: one more class with a test skipped for another reason, its text on the next line. */
    private void fakeMaven(boolean emptyClass, boolean knownDifference) throws IOException {
        String qemuCase = """
                  <testcase name="corpus()[N]" classname="io.jqmp.interop.ConformanceTest" time="0.0">
                    <skipped type="org.opentest4j.TestAbortedException"><![CDATA[org.opentest4j.TestAbortedException: \
                Assumption failed: qemu-system-x86_64 is not on the PATH (Debian package qemu-system-x86): skipped
                ]]></skipped>
                  </testcase>
                """;
        String body = "echo \"mvn $*\" >> \"$LOG\"\n"
                + "d=runtime/target/surefire-reports; mkdir -p $d\n"
                + "if command -v qemu-system-x86_64 >/dev/null; then\n"
                + "  printf '<testsuite name=\"io.jqmp.interop.ConformanceTest\" tests=\"2\" errors=\"0\" skipped=\"0\""
                + " failures=\"0\">\\n</testsuite>\\n' > $d/TEST-io.jqmp.interop.ConformanceTest.xml\n"
                + "else\n"
                + "  { printf '<testsuite name=\"io.jqmp.interop.ConformanceTest\" tests=\"2\" errors=\"0\" skipped=\"2\""
                + " failures=\"0\">\\n'; cat <<'X'\n" + qemuCase + qemuCase + "X\n"
                + "    printf '</testsuite>\\n'; } > $d/TEST-io.jqmp.interop.ConformanceTest.xml\n"
                + "fi\n"
                + "printf '<testsuite name=\"io.jqmp.server.WireTest\" tests=\"3\" errors=\"0\" skipped=\"0\" failures=\"0\">"
                + "\\n</testsuite>\\n' > $d/TEST-io.jqmp.server.WireTest.xml\n"
                + (emptyClass ? "printf '<testsuite name=\"io.jqmp.server.EmptyTest\" tests=\"0\" errors=\"0\""
                        + " skipped=\"0\" failures=\"0\">\\n</testsuite>\\n' > $d/TEST-io.jqmp.server.EmptyTest.xml\n" : "")
                + (knownDifference ? "cat > $d/TEST-io.jqmp.interop.DiffTest.xml <<'X'\n"
                        + "<testsuite name=\"io.jqmp.interop.DiffTest\" tests=\"1\" errors=\"0\" skipped=\"1\" failures=\"0\">\n"
                        + "  <testcase name=\"corpus()[7]\" classname=\"io.jqmp.interop.DiffTest\" time=\"0.0\">\n"
                        + "    <skipped type=\"org.opentest4j.TestAbortedException\"><![CDATA[org.opentest4j.TestAbortedException: \n"
                        + "Assumption failed: known difference, case id-huge-double (oob)\nQEMU:\n]]></skipped>\n"
                        + "  </testcase>\n</testsuite>\nX\n" : "");
        script(bin.resolve("mvn"), body);
    }

    /** The user is root ({@code uid} 0) or not; apt-get installs a stand-in QEMU. */
    private void fakeSystem(int uid) throws IOException {
        script(bin.resolve("id"), "echo " + uid);
        script(bin.resolve("apt-get"), "echo \"apt-get $*\" >> \"$LOG\"\n"
                + "if [ \"$1\" = install ]; then printf '#!/bin/bash\\n' > \"" + bin + "/qemu-system-x86_64\"; "
                + "chmod +x \"" + bin + "/qemu-system-x86_64\"; fi");
    }

    record Run(int status, List<String> out, String err, String calls) {
        String lastLine() {
            return out.isEmpty() ? "" : out.get(out.size() - 1);
        }
    }

    private Run launch(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("bash").toString(), root.resolve("jqmp").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", bin.toString());
        env.put("JAVA_HOME", dir.resolve("jdk").toString());
        env.put("HOME", dir.toString());
        env.put("LOG", log.toString());
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher did not finish");
        String calls = Files.exists(log) ? Files.readString(log) : "";
        return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err), calls);
    }

    @Test
    void helpCommandPassesTheCommandToTheCli() throws Exception {
        Run r = launch("help", "call");
        assertEquals(0, r.status(), r.err());
        assertEquals("java --enable-native-access=ALL-UNNAMED -jar " + root.resolve("cli/target/jqmp-cli-0.1.0-SNAPSHOT-all.jar")
                + " help call\n", r.calls());
    }

    @Test
    void aSourceNewerThanAnUnchangedJarIsBuiltOnceNotEveryTime() throws Exception {
        long now = System.currentTimeMillis();
        Files.setLastModifiedTime(root.resolve("cli/target/jqmp-cli-0.1.0-SNAPSHOT-all.jar"),
                java.nio.file.attribute.FileTime.fromMillis(now - 120_000));
        Path source = Files.createDirectories(root.resolve("cli/src/test")).resolve("SomeTest.java");
        Files.writeString(source, "class SomeTest {}\n");
        Files.setLastModifiedTime(source, java.nio.file.attribute.FileTime.fromMillis(now - 60_000));
        script(bin.resolve("mvn"), "echo \"mvn $*\" >> \"$LOG\""); // builds nothing: the jar stays as it was
        assertEquals(0, launch("help").status());
        Run second = launch("help");
        assertEquals(0, second.status());
        assertEquals(1, second.calls().lines().filter(l -> l.startsWith("mvn ")).count(), second.calls());
        assertEquals(2, second.calls().lines().filter(l -> l.startsWith("java ")).count(), second.calls());
    }

    @Test
    void testInstallsQemuWhenItMayThenRunsEverything() throws Exception {
        fakeMaven(false);
        fakeSystem(0);
        Run r = launch("test");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("jqmp: qemu-system-x86_64 is missing: installing qemu-system-x86 with apt-get"),
                r.err());
        assertTrue(r.calls().contains("apt-get install -y -qq --no-install-recommends qemu-system-x86\n"), r.calls());
        assertTrue(r.calls().indexOf("apt-get install") < r.calls().indexOf("mvn "), "installed before the tests ran");
        assertTrue(r.calls().contains("mvn -B -ntp -Dstyle.color=never clean verify\n"), r.calls());
        assertEquals("tests: 5 passed, 0 failed, 0 skipped", r.lastLine());
    }

    @Test
    void testWithoutQemuAndNoWayToInstallItEndsNamingTheSkippedGroupAndThePackage() throws Exception {
        fakeMaven(false);
        fakeSystem(1000); // not root, and no sudo on the PATH
        Run r = launch("test");
        assertEquals(0, r.status(), r.err());
        assertFalse(r.calls().contains("apt-get"), r.calls());
        assertEquals("tests: 3 passed, 0 failed, 2 skipped", r.out().get(r.out().size() - 2));
        assertEquals("skipped: 2 test(s) that need qemu-system-x86_64 (ConformanceTest): install the Debian package"
                + " qemu-system-x86 (sudo apt-get install qemu-system-x86) and run ./jqmp test again", r.lastLine());
    }

    @Test
    void otherSkipsAreNamedWithTheirReasonBeforeTheQemuLine() throws Exception {
        fakeMaven(false, true);
        fakeSystem(1000);
        Run r = launch("test");
        assertEquals(0, r.status(), r.err());
        assertEquals("tests: 3 passed, 0 failed, 3 skipped", r.out().get(r.out().size() - 3));
        assertEquals("skipped: 1 other test(s): DiffTest: 1 (known difference, case id-huge-double (oob))",
                r.out().get(r.out().size() - 2));
        assertTrue(r.lastLine().startsWith("skipped: 2 test(s) that need qemu-system-x86_64 (ConformanceTest)"),
                r.lastLine());
    }

    @Test
    void aTestClassThatRanNoTestsFailsTheRunByName() throws Exception {
        fakeMaven(true);
        fakeSystem(0);
        Run r = launch("test");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.out().contains("no tests ran in: io.jqmp.server.EmptyTest (a test class must run or skip its tests"
                + " with a reason)"), r.out().toString());
    }

    @Test
    void ciRunsExactlyTheTestCommand() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", ".ci", "run"));
        assertEquals("exec ./jqmp test", lines.get(lines.size() - 1));
        assertTrue(lines.stream().noneMatch(l -> l.contains("apt-get")), "the installing lives in ./jqmp test");
    }
}
