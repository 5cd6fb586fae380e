package io.jqmp.cli;

import io.jqmp.schema.CommandDef;
import io.jqmp.schema.EventDef;
import io.jqmp.schema.Schema;
import io.jqmp.schema.SchemaException;
import io.jqmp.schema.SchemaLoader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks {@code --schema} files against what a server already declares (its built-in schema and
 * the simulated machine's), so that a clash is reported with the user's file, the name and what
 * to do, rather than with a resource inside the jar. Stateless; runs on the thread that sets up
 * {@code jqmp serve}.
 */
final class SchemaConflicts {
    private SchemaConflicts() {
    }

    /**
     * Throws a usage error for the first name a file of {@code files} defines that the built-in
     * schema or the schema resource {@code machineResource} (null: no machine) defines too. A file
     * that does not load on its own is left to the server's own check, which gives its location.
     */
    static void check(List<Path> files, String machineResource) {
        if (files.isEmpty()) {
            return;
        }
        SchemaLoader loader = new SchemaLoader(Set.of());
        Map<String, String> builtin = names(Schema.builtin(Set.of()));
        Map<String, String> machine = machineResource == null ? Map.of() : names(loader.loadResource(machineResource));
        for (Path file : files) {
            Schema user;
            try {
                user = loader.load(file);
            } catch (SchemaException e) {
                continue;
            }
            for (Map.Entry<String, String> n : names(user).entrySet()) {
                String what = "--schema " + file + " declares " + n.getValue() + " '" + n.getKey() + "'";
                if (builtin.containsKey(n.getKey())) {
                    throw new Args.UsageException(what + ", which every jqmp server has built in: remove it from "
                            + file);
                }
                if (machine.containsKey(n.getKey())) {
                    throw new Args.UsageException(what + ", which the simulated machine already has: remove it from "
                            + file + ", or serve without the machine (--no-machine)");
                }
            }
        }
    }

    /** Each command, event and declared type of {@code schema} (not the primitive types) and what it is. */
    private static Map<String, String> names(Schema schema) {
        Set<String> primitive = Schema.builder().build().types().keySet();
        Map<String, String> out = new LinkedHashMap<>();
        for (CommandDef c : schema.commands()) {
            out.put(c.name(), "command");
        }
        for (EventDef e : schema.events()) {
            out.put(e.name(), "event");
        }
        for (String t : schema.types().keySet()) {
            if (!primitive.contains(t)) {
                out.putIfAbsent(t, "type");
            }
        }
        return out;
    }
}
