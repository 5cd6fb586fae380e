package io.jqmp.server;

import io.jqmp.schema.CommandDef;
import io.jqmp.schema.Declaration;
import io.jqmp.schema.Defines;
import io.jqmp.schema.EventDef;
import io.jqmp.schema.IntrospectOptions;
import io.jqmp.schema.Schema;
import io.jqmp.schema.SchemaException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Puts a server's schema together and checks it against the handlers. The built-in schema and
 * the schemas that come with handlers (such as the machine's) are defaults: the given schemas'
 * definitions replace theirs name by name, and given schemas that declare
 * {@code qmp_capabilities} replace them entirely (see {@link Schema.Builder}). Called by
 * {@link QmpServer.Builder#build()} before any thread starts.
 */
final class SchemaAssembly {
    private SchemaAssembly() {
    }

    /**
     * The served schema, and the default declarations (built-in schema and handler schemas
     * alone) that the built-in and handler-provided handlers were written for.
     */
    record Assembled(Schema served, Schema defaults) {
    }

    /**
     * Reads the define files, then assembles the schema: the built-in schema and
     * {@code defaultResources} as defaults, then the files, resources, the declarations made in
     * Java (which may use the files' types) and the schemas built in Java;
     * {@code 'if'} conditions see {@code defines} and the names the define files list.
     *
     * @throws IllegalArgumentException naming the file and line of a schema or define file error
     */
    static Assembled assemble(Set<String> defines, List<Path> defineFiles, List<Path> files, List<String> resources,
            List<Declaration> declarations, List<Schema> schemas, List<String> defaultResources) {
        Set<String> all = new LinkedHashSet<>(defines);
        try {
            for (Path f : defineFiles) {
                all.addAll(Defines.read(f));
            }
        } catch (SchemaException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            Schema.Builder defaults = Schema.builder().define(all).builtin();
            Schema.Builder served = Schema.builder().define(all).builtin();
            for (String r : defaultResources) {
                defaults.defaultResource(r);
                served.defaultResource(r);
            }
            files.forEach(served::load);
            resources.forEach(served::loadResource);
            declarations.forEach(served::declare);
            schemas.forEach(served::add);
            return new Assembled(served.build(), defaults.build());
        } catch (SchemaException e) {
            throw new IllegalArgumentException("invalid schema: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the handlers written for default declarations can serve what the served
     * schema declares instead, and that the served schema declares every event the defaults
     * do (their handlers emit them).
     *
     * @param handled the commands of the served schema that have a handler
     * @throws IllegalArgumentException naming both declarations and what does not fit
     */
    static void checkHandlers(Assembled a, Set<String> handled) {
        for (String name : handled) {
            CommandDef served = a.served().command(name).orElseThrow();
            Optional<CommandDef> written = a.defaults().command(name);
            if (written.isEmpty() || written.get().location().equals(served.location())) {
                continue;
            }
            Optional<String> why = a.served().incompatibility(served, a.defaults(), written.get());
            if (why.isPresent()) {
                throw new IllegalArgumentException("command '" + name + "' declared at " + served.location()
                        + " cannot be served by jqmp's handler, written for its declaration at "
                        + written.get().location() + ": " + why.get());
            }
        }
        for (EventDef e : a.defaults().events()) {
            if (a.served().event(e.name()).isEmpty()) {
                throw new IllegalArgumentException("the schema does not declare event '" + e.name() + "', which jqmp's"
                        + " handlers emit (declared for them at " + e.location() + ")");
            }
        }
    }

    /** Whether the default declarations declare {@code command} (its handler is then optional). */
    static boolean declaredByDefault(Assembled a, String command) {
        return a.defaults().command(command).isPresent();
    }

    static List<String> commandNames(Schema schema) {
        List<String> names = new ArrayList<>();
        schema.commands().forEach(c -> names.add(c.name()));
        return names;
    }

    static List<String> queryCommandsOrder(Schema schema) {
        return schema.commandNamesForQueryCommands();
    }

    static List<Object> introspect(Schema schema, QmpServerConfig config) {
        return schema.introspect(new IntrospectOptions(config.unmaskSchema(), config.dialect() == Dialect.V2_12));
    }
}
