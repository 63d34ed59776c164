package dev.kdedge.calibration.engine;

import java.util.Arrays;
import java.util.Locale;

/** How configuration, the CLI and the API spell the engine's enums: their names in lower case. */
final class Labels {
    private Labels() {}

    static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming {@code what} was asked for and the values there are */
    static <E extends Enum<E>> E parse(Class<E> type, String label, String what) {
        for (E value : type.getEnumConstants()) {
            if (of(value).equals(label)) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + label + "': expected one of "
                + Arrays.stream(type.getEnumConstants()).map(Labels::of).toList());
    }
}
