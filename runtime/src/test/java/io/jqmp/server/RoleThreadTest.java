package io.jqmp.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoleThreadTest {
    /**
     * A role's thread is published before it runs: a close or a wake-up sent as soon as the
     * thread can act (a client is greeted from it) must find it, not a null.
     */
    @Test
    void theRunningThreadIsAlreadyTheRolesThread() throws Exception {
        for (ConnectionThreads kind : ConnectionThreads.values()) {
            int missed = 0;
            for (int i = 0; i < 200; i++) {
                RoleThread role = new RoleThread("qmp-test-" + i);
                CompletableFuture<Thread> seen = new CompletableFuture<>();
                role.start(kind, () -> seen.complete(role.get()));
                Thread published = seen.get(20, TimeUnit.SECONDS);
                if (published == null) {
                    missed++;
                } else {
                    assertEquals("qmp-test-" + i, published.getName());
                }
                role.join(20_000);
            }
            assertEquals(0, missed, kind + ": runs that did not find their own thread");
        }
    }
}
