/**
 * jqmp: a QMP (QEMU Machine Protocol) monitor runtime. A program embeds a control plane with
 * {@link io.jqmp.server.QmpServer} (commands declared in the QAPI schema language, in-band on the
 * main loop, out-of-band on the monitor thread) and talks to any QMP server, QEMU's included,
 * with {@link io.jqmp.client.QmpClient}.
 *
 * <p>Exported: {@code io.jqmp.server} (the server, its builder and configuration, handlers,
 * events, endpoints, idle strategies), {@code io.jqmp.client}, {@code io.jqmp.schema} (QAPI
 * schemas) and {@code io.jqmp.protocol} (the value model and QMP errors). Everything under
 * {@code io.jqmp.internal} is the implementation and may change in any release.
 *
 * <p>Records and beans that handlers return or that the client maps answers onto are read by
 * Jackson Jr through reflection: make them public in an exported package, or open their package
 * to {@code com.fasterxml.jackson.jr.ob}.
 */
module io.jqmp {
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.jr.ob;
    requires org.jctools.core.jdk11;
    // The io.jqmp.Command flight-recorder event (io.jqmp.internal.jfr); part of every JDK.
    requires jdk.jfr;

    exports io.jqmp.client;
    exports io.jqmp.protocol;
    exports io.jqmp.schema;
    exports io.jqmp.server;
}
