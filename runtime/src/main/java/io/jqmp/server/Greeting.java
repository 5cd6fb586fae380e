package io.jqmp.server;

import java.util.List;

/** What a server says first on every connection, and the capabilities that greeting offers. Immutable. */
record Greeting(byte[] bytes, List<String> capabilities) {
}
