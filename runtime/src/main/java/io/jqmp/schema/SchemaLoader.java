package io.jqmp.schema;

import java.io.IOException;
import java.io.InputStream;
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
 * skipped, as QEMU's parser does, and an include cycle is an error. {@code { 'pragma': ... }} is
 * syntax-checked and otherwise ignored. {@code 'if'} conditions are evaluated against the set of
 * defined names given to the constructor.
 *
 * <p>Instances are immutable and may be shared between threads; each call reads its sources
 * anew. For several sources or Java-declared entities use {@link Schema#builder()}.
 */
public final class SchemaLoader {
    private static final Set<String> PRAGMA_LISTS = Set.of("command-name-exceptions",
            "command-returns-exceptions", "documentation-exceptions", "member-name-exceptions");

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
            try {
                return Files.readString(path, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SchemaException("can't read schema file '" + path + "': " + e.getMessage(), e);
            }
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
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
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

    /**
     * Reads {@code root} with its includes expanded in place, pragmas dropped. {@code seen} holds
     * the sources already read in this build, so a source included twice is read once.
     */
    static List<QapiParser.Expr> read(Source root, Set<Source> seen) {
        List<QapiParser.Expr> out = new ArrayList<>();
        Deque<Source> stack = new ArrayDeque<>();
        readInto(root, seen, stack, out);
        return out;
    }

    private static void readInto(Source src, Set<Source> seen, Deque<Source> stack, List<QapiParser.Expr> out) {
        seen.add(src);
        stack.push(src);
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
                        readInto(target, seen, stack, out);
                    } catch (SchemaException unreadable) {
                        if (unreadable.getMessage().startsWith("can't read")) {
                            // Say which include asked for it.
                            throw new SchemaException(e.location(), unreadable.getMessage());
                        }
                        throw unreadable;
                    }
                }
            } else if (v.containsKey("pragma")) {
                checkPragma(e);
            } else {
                out.add(e);
            }
        }
        stack.pop();
    }

    private static void checkPragma(QapiParser.Expr e) {
        Map<String, Object> v = e.value();
        if (v.size() != 1) {
            throw new SchemaException(e.location(), "invalid 'pragma' directive");
        }
        if (!(v.get("pragma") instanceof Map<?, ?> pragma)) {
            throw new SchemaException(e.location(), "value of 'pragma' must be an object");
        }
        for (Map.Entry<?, ?> p : pragma.entrySet()) {
            String name = (String) p.getKey();
            if (name.equals("doc-required")) {
                if (!(p.getValue() instanceof Boolean)) {
                    throw new SchemaException(e.location(), "pragma 'doc-required' must be boolean");
                }
            } else if (PRAGMA_LISTS.contains(name)) {
                if (!(p.getValue() instanceof List<?> l) || !l.stream().allMatch(x -> x instanceof String)) {
                    throw new SchemaException(e.location(), "pragma " + name + " must be a list of strings");
                }
            } else {
                throw new SchemaException(e.location(), "unknown pragma '" + name + "'");
            }
        }
    }

    static Set<Source> newSeenSet() {
        return new HashSet<>();
    }
}
