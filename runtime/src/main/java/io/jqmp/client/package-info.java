/**
 * A QMP client: {@link io.jqmp.client.QmpClient} connects, negotiates and runs commands (in-band
 * and out-of-band, many in flight, each with a timeout) and delivers events to listeners that can
 * never stall the connection.
 */
package io.jqmp.client;
