package io.jqmp.internal.wire;

import java.util.Objects;

/**
 * One outcome of {@link JsonStreamer}: either a complete JSON value or a parse error. Immutable, so
 * results may be handed to other threads freely.
 */
public sealed interface JsonResult permits JsonResult.Value, JsonResult.Error {

    /**
     * A complete top-level JSON value in the package's value model ({@code null} for JSON null).
     *
     * @param value  the parsed value
     * @param source the bytes it was parsed from, opening to closing brace, when its streamer keeps
     *     them ({@link JsonStreamer#keepWireForm}) and had them in one piece; else null. Not to be
     *     modified.
     */
    record Value(Object value, byte[] source) implements JsonResult {
        /** A value without its source. */
        public Value(Object value) {
            this(value, null);
        }
    }

    /**
     * A lexical, syntactic or limit error.
     *
     * @param desc the complete error text as QEMU puts it in {@code desc}, e.g.
     *     {@code JSON parse error, expecting value}; characters that QEMU would escape on output are
     *     kept unescaped here (the {@link JsonWriter} escapes them)
     */
    record Error(String desc) implements JsonResult {
        public Error {
            Objects.requireNonNull(desc, "desc");
        }
    }
}
