package io.jqmp.schema;

/**
 * Where a schema expression starts: the file (or classpath resource, or {@code <java>} for
 * entities declared with the Java builder) and the 1-based line number.
 *
 * @param file the file name as it was given to the loader
 * @param line 1-based line number
 */
public record SourceLocation(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
