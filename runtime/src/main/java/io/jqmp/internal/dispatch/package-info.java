/**
 * Internal: the two executors, the {@code monitor} thread for out-of-band commands and the
 * {@code main-loop} thread (holding the BQL) for in-band ones, and the roles they run. Hand-offs
 * go through JCTools MPSC queues behind small named methods. Not exported by the module; the
 * idle strategies the executors use are configured through {@link io.jqmp.server.IdleStrategy}.
 */
package io.jqmp.internal.dispatch;
