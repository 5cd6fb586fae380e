package io.jqmp.schema;

import java.util.List;

/**
 * An event of a {@link Schema}, after {@code 'if'} evaluation. Immutable.
 *
 * @param name     the event name
 * @param argType  name of the data type, or null when the event has no data
 * @param boxed    {@code 'boxed': true}
 * @param features feature names
 * @param location where the event is declared
 */
public record EventDef(String name, String argType, boolean boxed, List<String> features,
        SourceLocation location) {

    /** Copies the feature list. */
    public EventDef {
        features = List.copyOf(features);
    }
}
