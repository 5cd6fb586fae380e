package io.jqmp.server;

import io.jqmp.schema.CommandDef;
import io.jqmp.schema.Declaration;
import io.jqmp.schema.IntrospectOptions;
import io.jqmp.schema.Schema;
import io.jqmp.schema.SchemaException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Puts a server's schema together from the built-in one and the user's, and asks it what the built-in commands need. */
final class SchemaAssembly {
    private SchemaAssembly() {
    }

    /**
     * The built-in schema, the files and resources, the declarations made in Java (which may use
     * the files' types), then the schemas built in Java; {@code if} conditions see {@code defines}.
     *
     * @throws IllegalArgumentException naming the file and line of a schema error
     */
    static Schema assemble(Set<String> defines, List<Path> files, List<String> resources,
                           List<Declaration> declarations, List<Schema> schemas) {
        try {
            Schema.Builder b = Schema.builder().define(defines).builtin();
            files.forEach(b::load);
            resources.forEach(b::loadResource);
            declarations.forEach(b::declare);
            Schema schema = b.build();
            if (!schemas.isEmpty()) {
                List<Schema> parts = new ArrayList<>();
                parts.add(schema);
                parts.addAll(schemas);
                schema = Schema.merge(parts.toArray(Schema[]::new));
            }
            return schema;
        } catch (SchemaException e) {
            throw new IllegalArgumentException("invalid schema: " + e.getMessage(), e);
        }
    }

    static List<String> commandNames(Schema schema) {
        return schema.commands().stream().map(CommandDef::name).toList();
    }

    static List<String> queryCommandsOrder(Schema schema) {
        return schema.commandNamesForQueryCommands();
    }

    static List<Object> introspect(Schema schema, QmpServerConfig config) {
        return schema.introspect(new IntrospectOptions(config.unmaskSchema(), config.dialect() == Dialect.V2_12));
    }
}
