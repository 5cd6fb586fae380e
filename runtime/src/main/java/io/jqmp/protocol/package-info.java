/**
 * The QMP protocol's errors and value model: {@link io.jqmp.protocol.QmpException} (thrown by a
 * command handler to answer with a QMP error) and {@link io.jqmp.protocol.ErrorClass}.
 *
 * <p>JSON values are plain Java objects: an object is a {@code LinkedHashMap<String, Object>}
 * (input order), an array an {@code ArrayList<Object>}, a string a {@code String}, an integer a
 * {@code Long} (or a {@code BigInteger} for values above {@code Long.MAX_VALUE} up to 2^64-1),
 * any other number a {@code Double}, {@code true}/{@code false} a {@code Boolean}, and JSON
 * {@code null} is Java {@code null} (use {@code containsKey} to tell it from a missing member).
 * Command arguments, results, event data and client answers all use this model; records and
 * beans are mapped onto it where the API says so.
 */
package io.jqmp.protocol;
