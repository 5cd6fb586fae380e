package io.jqmp.internal.dispatch;

/**
 * Where a {@link RoleRunner} reports a {@link Throwable} that escaped its role. Implementations
 * must not throw and must not block.
 */
public interface RoleErrors {

    /** {@code error} escaped a duty cycle of {@code role}; the role goes on. Called on the role's thread. */
    void error(String role, Throwable error);

    /** {@code error} escaped {@code role}, whose thread stops. Called on the role's thread as it ends. */
    void fatal(String role, Throwable error);
}
