package dev.kdedge.node.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a client is, as its certificate says (see security.AccessRules); each role is allowed a set of calls. */
public enum Role {
    /** Scores images: the Inspection service. */
    CAMERA,
    /** Recalibrates: the Inspection service and the Models RPCs that change the store. */
    ENGINEER,
    /** Watches: the Results service, and the reads when {@code access.reads} names it. */
    OBSERVER,
    /** A line PLC or its gateway: follows the results (Results service) and switches stations' recipes (OPC UA). */
    LINE;

    /** The role's name in node.yaml and in status messages. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role named(String name) {
        for (Role role : values()) {
            if (role.configName().equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role '" + name + "' (roles: "
                + Arrays.stream(values()).map(Role::configName).collect(Collectors.joining(", ")) + ")");
    }
}
