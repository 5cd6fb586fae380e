package io.jqmp.schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The names a schema's {@code 'if'} conditions are evaluated against: what QEMU's build defines
 * for one target and configuration ({@code TARGET_I386}, {@code CONFIG_VNC}, ...). Stateless;
 * safe from any thread.
 */
public final class Defines {
    private Defines() {
    }

    /**
     * Checks that {@code name} is a name an {@code 'if'} condition can test: an upper-case
     * letter, then upper-case letters, digits and {@code _}.
     *
     * @param name the name
     * @return {@code name}
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static String check(String name) {
        if (name == null || !QapiSyntax.IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a name an 'if' condition can test (an upper-case"
                    + " letter, then upper-case letters, digits and '_', e.g. CONFIG_VNC)");
        }
        return name;
    }

    /**
     * Reads a file of defines: one name a line; {@code #} starts a comment; blank lines are
     * ignored.
     *
     * @param file the define file
     * @return the names, in file order
     * @throws SchemaException naming the file and line of a bad name, or why the file cannot be read
     */
    public static Set<String> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SchemaException("can't read define file '" + file + "': " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** {@link #read(Path)} on {@code text}; {@code source} names it in messages. */
    static Set<String> parse(String text, String source) {
        Set<String> names = new LinkedHashSet<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            String name = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (name.isEmpty()) {
                continue;
            }
            try {
                names.add(check(name));
            } catch (IllegalArgumentException e) {
                throw new SchemaException(new SourceLocation(source, i + 1), e.getMessage());
            }
        }
        return names;
    }
}
