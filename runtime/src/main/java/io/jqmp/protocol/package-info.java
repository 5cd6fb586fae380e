/**
 * The QMP wire format: framing and parsing of the byte stream exactly as QEMU's JSON lexer,
 * streamer and parser do it, the JSON writer with QEMU's member order and escaping, and the
 * request, response and error objects.
 *
 * <p>JSON values are plain Java objects: an object is a {@code LinkedHashMap<String, Object>}
 * (input order), an array an {@code ArrayList<Object>}, a string a {@code String}, an integer a
 * {@code Long} (or a {@code BigInteger} for values above {@code Long.MAX_VALUE} up to 2^64-1),
 * any other number a {@code Double}, {@code true}/{@code false} a {@code Boolean}, and JSON
 * {@code null} is Java {@code null} (use {@code containsKey} to tell it from a missing member).
 */
package io.jqmp.protocol;
