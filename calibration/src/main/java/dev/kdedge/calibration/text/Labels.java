package dev.kdedge.calibration.text;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/** How configuration, the CLI and the API spell enums: by default their names in lower case. */
public final class Labels {
    private Labels() {}

    public static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming {@code what} was asked for and the values there are */
    public static <E extends Enum<E>> E parse(Class<E> type, String label, String what) {
        return parse(type, label, what, Labels::of);
    }

    /** As {@link #parse(Class, String, String)}, for an enum that spells its values with {@code labelOf}. */
    public static <E extends Enum<E>> E parse(Class<E> type, String label, String what, Function<E, String> labelOf) {
        for (E value : type.getEnumConstants()) {
            if (labelOf.apply(value).equals(label)) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + label + "': expected one of "
                + Arrays.stream(type.getEnumConstants()).map(labelOf).toList());
    }
}
