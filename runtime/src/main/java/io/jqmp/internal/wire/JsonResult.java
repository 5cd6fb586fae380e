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
     * @param value the parsed value
     */
    record Value(Object value) implements JsonResult {
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
