/**
 * The simulated virtual machine that {@code jqmp serve} runs by default: guest memory, a vCPU
 * thread that dirties it, QEMU's run states, and live migration (precopy and postcopy, failure,
 * out-of-band recovery, yank) between two jqmp processes over a real socket.
 *
 * <p>Threads: in-band handlers run on {@code main-loop} with the BQL; out-of-band handlers on
 * {@code monitor}; the guest on {@code vcpu}; migration I/O on {@code migration-*} threads, which
 * never take the BQL. See docs/machine.md.
 */
package io.jqmp.machine;
