/**
 * Internal: how one connection's bytes travel, in the clear or through TLS, for the server's
 * connections and the client alike ({@link io.jqmp.internal.net.Transport}). Not part of the API.
 */
package io.jqmp.internal.net;
