package io.jqmp.examples;

import io.jqmp.client.EventQueue;
import io.jqmp.client.QmpClient;
import io.jqmp.client.QmpClientException;
import io.jqmp.client.QmpEvent;
import java.time.Duration;
import java.util.Map;

/** Talking to the thermostat with jqmp's client (the second example of docs/embedding.md). */
public final class ThermostatClient {
    private ThermostatClient() {
    }

    /** Sets a target and sees its event, reads the temperature and the heater; says what it saw. */
    public static String run(String endpoint) throws QmpClientException, InterruptedException {
        try (QmpClient qmp = QmpClient.connect(endpoint);
                EventQueue changes = qmp.listen("TARGET_CHANGED")) {
            qmp.call("set-target", new Thermostat.SetTarget(21.0, "evening"), Map.class);
            QmpEvent change = changes.poll(Duration.ZERO); // sent before the answer, so already here
            Thermostat.Temperature now = qmp.call("query-temperature", null, Thermostat.Temperature.class);
            Thermostat.Heater heater = qmp.call("query-heater", null, Thermostat.Heater.class);
            qmp.callOob("emergency-stop", null);
            return change.data() + " " + now + " " + heater;
        }
    }
}
