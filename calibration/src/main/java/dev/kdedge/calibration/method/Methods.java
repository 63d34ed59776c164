package dev.kdedge.calibration.method;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The distillation methods of this build, found with {@link ServiceLoader}: each method's folder registers its
 * descriptor in {@code META-INF/services/dev.kdedge.calibration.method.DistillationMethod}, so adding a method
 * touches no code outside its folder, and this package does not depend on any method's.
 */
public final class Methods {
    /** The anomaly-map parameter that records a method's localization variant. */
    public static final String LOCALIZATION = "localization";
    private static final Map<String, DistillationMethod> BY_NAME = load();

    private Methods() {}

    /**
     * The method a bundle or a command names.
     *
     * @throws IllegalArgumentException naming the methods there are, when there is none of that name
     */
    public static DistillationMethod named(String name) {
        DistillationMethod method = BY_NAME.get(name);
        if (method == null) {
            throw new IllegalArgumentException("unknown method '" + name + "' (available: "
                    + String.join(", ", names()) + ")");
        }
        return method;
    }

    /**
     * The method a bundle's manifest names, localizing as its recorded anomaly-map parameters say.
     *
     * @throws IllegalArgumentException when there is no method of that name, or it has no such localization
     */
    public static DistillationMethod named(String name, Map<String, Object> anomalyMapParameters) {
        DistillationMethod method = named(name);
        Object localization = anomalyMapParameters == null ? null : anomalyMapParameters.get(LOCALIZATION);
        return localization == null || method.localizations().isEmpty() ? method
                : method.localizing(localization.toString());
    }

    /** Every registered method's name, in alphabetical order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    private static Map<String, DistillationMethod> load() {
        Map<String, DistillationMethod> methods = new TreeMap<>();
        for (DistillationMethod method : ServiceLoader.load(DistillationMethod.class, Methods.class.getClassLoader())) {
            DistillationMethod earlier = methods.put(method.name(), method);
            if (earlier != null) {
                throw new IllegalStateException("two methods are named '" + method.name() + "': "
                        + earlier.getClass().getName() + " and " + method.getClass().getName());
            }
        }
        return methods;
    }
}
