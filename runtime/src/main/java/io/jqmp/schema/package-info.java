/**
 * QAPI schemas: loading QEMU's schema language with the rules of QEMU's generator
 * ({@link io.jqmp.schema.SchemaLoader}, {@link io.jqmp.schema.Schema.Builder},
 * {@link io.jqmp.schema.Defines} for the names {@code 'if'} conditions test), the resolved model
 * ({@link io.jqmp.schema.Schema}, {@link io.jqmp.schema.CommandDef},
 * {@link io.jqmp.schema.EventDef}, {@link io.jqmp.schema.SchemaType}), command argument
 * validation with QEMU's error texts, query-qmp-schema and query-commands as QEMU orders and
 * numbers them, and whether a handler written for one declaration can serve another. Schemas
 * are immutable and thread-safe once built.
 */
package io.jqmp.schema;
