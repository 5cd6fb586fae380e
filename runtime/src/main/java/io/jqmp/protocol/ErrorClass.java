package io.jqmp.protocol;

/** The QMP error classes (QapiErrorClass); the enum constant's name is what goes on the wire. */
public enum ErrorClass {
    /** Any error without a class of its own: nearly every QMP error. */
    GenericError,
    /** The command does not exist, or is not available in the current mode (negotiation). */
    CommandNotFound,
    /** A device exists but is not active (kept for compatibility with QEMU's clients). */
    DeviceNotActive,
    /** A device named in the arguments does not exist. */
    DeviceNotFound,
    /** KVM lacks a capability the command needs. */
    KVMMissingCap
}
