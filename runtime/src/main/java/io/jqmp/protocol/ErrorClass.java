package io.jqmp.protocol;

/** The QMP error classes (QapiErrorClass); the enum constant's name is what goes on the wire. */
public enum ErrorClass {
    GenericError,
    CommandNotFound,
    DeviceNotActive,
    DeviceNotFound,
    KVMMissingCap
}
