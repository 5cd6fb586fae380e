package io.jqmp.stress;

/**
 * One stress scenario. A new scenario is one more implementation of this interface plus one line
 * in {@link Scenarios}.
 *
 * <p>Threading: {@link #run} is called once, on the runner's thread; it may start any threads it
 * needs but must stop them all before returning, and must return soon after
 * {@link ScenarioContext#deadlineNanos()} (bounded in time and in count).
 */
public interface Scenario {

    /** The name used on the command line and in reports. */
    String name();

    /** One line saying what the scenario does, for {@code --help} and the reports. */
    String description();

    /**
     * Runs the scenario and returns its result; invariant violations go into the result, not into
     * exceptions. An exception means the scenario itself could not run (and fails the run).
     */
    ScenarioResult run(ScenarioContext context) throws Exception;
}
