/**
 * Internal: the bytes on the wire. Framing and parsing of the input exactly as QEMU's JSON
 * lexer, streamer and parser do it ({@link io.jqmp.internal.wire.JsonStreamer}), the JSON writer
 * with QEMU's member order and escaping ({@link io.jqmp.internal.wire.JsonWriter}), request checks
 * and the shapes of the messages a server sends. Not exported by the module; values use the value
 * model described in {@link io.jqmp.protocol}.
 */
package io.jqmp.internal.wire;
