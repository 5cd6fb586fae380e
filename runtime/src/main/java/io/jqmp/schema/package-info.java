/**
 * QAPI schemas: loading QEMU's schema language ({@link io.jqmp.schema.SchemaLoader},
 * {@link io.jqmp.schema.Schema.Builder}), the resolved model ({@link io.jqmp.schema.Schema},
 * {@link io.jqmp.schema.CommandDef}, {@link io.jqmp.schema.EventDef},
 * {@link io.jqmp.schema.SchemaType}), command argument validation with QEMU's error texts, and
 * query-qmp-schema introspection output. Schemas are immutable and thread-safe once built.
 */
package io.jqmp.schema;
