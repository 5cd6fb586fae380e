/**
 * Internal: reading PEM files (certificates, and private keys in the forms openssl and certtool
 * write) into JDK key material, with nothing but the JDK. Not part of the API.
 */
package io.jqmp.internal.tls;
