/**
 * Internal: records, beans and enums to and from the value model of {@link io.jqmp.protocol},
 * through Jackson Jr with QMP's conventions (hyphenated member names, QAPI enum values, strict
 * scalar types with QEMU's parameter error texts). Not exported by the module.
 */
package io.jqmp.internal.mapping;
