package io.jqmp.schema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads QAPI schema files written in QEMU's schema language into a {@link Schema}.
 *
 * <p>A source is a file or a classpath resource. {@code { 'include': 'other.json' }} is resolved
 * relative to the including source, in the same kind of source; a source already included is
 * skipped, as QEMU's parser does, and an include cycle is an error. {@code { 'pragma': ... }}
 * applies to the file and everything it includes, as in QEMU. {@code 'if'} conditions are
 * evaluated against the set of defined names given to the constructor.
 *
 * <p>Instances are immutable and may be shared between threads; each call reads its sources
 * anew. For several sources or Java-declared entities use {@link Schema#builder()}.
 */
public final class SchemaLoader {
    private final Set<String> defines;

    /**
     * A loader.
     *
     * @param defines the names {@code 'if'} conditions are evaluated against
     */
    public SchemaLoader(Set<String> defines) {
        this.defines = Set.copyOf(defines);
    }

    /**
     * Loads a schema file and everything it includes.
     *
     * @param file the schema file
     * @return the schema
     * @throws SchemaException naming the file and line of the first error
     */
    public Schema load(Path file) {
        return Schema.builder().define(defines).load(file).build();
    }

    /**
     * Loads a class-path resource and its includes.
     *
     * @param name the resource name, leading {@code /} optional
     * @return the schema
     * @throws SchemaException naming the resource and line of the first error
     */
    public Schema loadResource(String name) {
        return Schema.builder().define(defines).loadResource(name).build();
    }

    // ---- reading sources (used by Schema.Builder) ----

    /** One schema source: a file or a classpath resource. */
    sealed interface Source permits FileSource, ResourceSource {
        String displayName();

        String read();

        Source resolve(String relative);
    }

    record FileSource(Path path) implements Source {
        @Override
        public String displayName() {
            return path.toString();
        }

        @Override
        public String read() {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(path);
            } catch (IOException e) {
                throw new SchemaException("can't read schema file '" + path + "': " + e.getMessage(), e);
            }
            return decode(bytes, displayName());
        }

        @Override
        public Source resolve(String relative) {
            Path dir = path.getParent();
            return new FileSource(dir == null ? Path.of(relative) : dir.resolve(relative).normalize());
        }
    }

    record ResourceSource(String name) implements Source {
        ResourceSource {
            name = name.startsWith("/") ? name.substring(1) : name;
        }

        @Override
        public String displayName() {
            return name;
        }

        @Override
        public String read() {
            try (InputStream in = open()) {
                if (in == null) {
                    throw new SchemaException("can't read schema resource '" + name + "': not found", null);
                }
                return decode(in.readAllBytes(), name);
            } catch (IOException e) {
                throw new SchemaException("can't read schema resource '" + name + "': " + e.getMessage(), e);
            }
        }

        /**
         * The library's own resources first (on the module path, only its classes can read them),
         * then the caller's through the context class loader (on the module path, resources in a
         * named module must be in a package it opens).
         */
        private InputStream open() {
            InputStream in = SchemaLoader.class.getResourceAsStream("/" + name);
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            if (in == null && context != null) {
                in = context.getResourceAsStream(name);
            }
            return in != null ? in : ClassLoader.getSystemResourceAsStream(name);
        }

        @Override
        public Source resolve(String relative) {
            int slash = name.lastIndexOf('/');
            String joined = slash < 0 ? relative : name.substring(0, slash + 1) + relative;
            return new ResourceSource(Path.of(joined).normalize().toString().replace('\\', '/'));
        }
    }

    /** The text of a source, which must be UTF-8; an invalid byte is an error at its line. */
    static String decode(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new SchemaException(new SourceLocation(source, line), "invalid UTF-8");
        }
        return out.flip().toString();
    }

    /**
     * Reads {@code root} with its includes expanded in place and pragmas applied, appending the
     * definitions to {@code out} and each source, the first time it is read, to {@code modules}
     * (so parents come before the files they include, as QEMU orders its modules). {@code seen}
     * holds the sources already read in this build: a source included again is not read again.
     */
    static void read(Source root, Set<Source> seen, List<String> modules, List<QapiParser.Expr> out) {
        readInto(root, seen, new ArrayDeque<>(), new Pragma(), modules, out);
    }

    private static void readInto(Source src, Set<Source> seen, Deque<Source> stack, Pragma pragma,
            List<String> modules, List<QapiParser.Expr> out) {
        seen.add(src);
        stack.push(src);
        modules.add(src.displayName());
        for (QapiParser.Expr e : QapiParser.parse(src.read(), src.displayName())) {
            Map<String, Object> v = e.value();
            if (v.containsKey("include")) {
                Object inc = v.get("include");
                if (v.size() != 1) {
                    throw new SchemaException(e.location(), "invalid 'include' directive");
                }
                if (!(inc instanceof String s)) {
                    throw new SchemaException(e.location(), "value of 'include' must be a string");
                }
                Source target = src.resolve(s);
                if (stack.contains(target)) {
                    throw new SchemaException(e.location(), "inclusion loop for " + s);
                }
                if (!seen.contains(target)) {
                    try {
                        readInto(target, seen, stack, pragma, modules, out);
                    } catch (SchemaException unreadable) {
                        if (unreadable.getMessage().startsWith("can't read")) {
                            // Say which include asked for it.
                            throw new SchemaException(e.location(), unreadable.getMessage());
                        }
                        throw unreadable;
                    }
                }
            } else if (v.containsKey("pragma")) {
                if (v.size() != 1) {
                    throw new SchemaException(e.location(), "invalid 'pragma' directive");
                }
                pragma.apply(v.get("pragma"), e.location());
            } else {
                out.add(new QapiParser.Expr(v, e.location(), pragma, e.doc()));
            }
        }
        stack.pop();
    }

    static Set<Source> newSeenSet() {
        return new HashSet<>();
    }
}
