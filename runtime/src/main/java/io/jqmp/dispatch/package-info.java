/**
 * The two executors: the {@code monitor} thread for out-of-band commands and the
 * {@code main-loop} thread (holding the BQL) for in-band ones, the roles they run, and the idle
 * strategies they use. Hand-offs go through JCTools MPSC queues behind small named methods.
 */
package io.jqmp.dispatch;
