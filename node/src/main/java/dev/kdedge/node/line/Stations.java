package dev.kdedge.node.line;

import dev.kdedge.calibration.text.Echo;
import dev.kdedge.node.health.ServingState;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.inspection.StationRecipes;
import dev.kdedge.node.results.ResultRecord;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The line's stations the node is configured with (node.yaml {@code line.stations}), each with the recipe it scores:
 * a request that names such a station and no product is scored against the station's recipe, and a PLC switches the
 * recipe between parts ({@link #prepareRecipe}).
 */
public final class Stations implements StationRecipes {
    private static final Logger LOG = LoggerFactory.getLogger(Stations.class);

    private final Map<String, Station> stations = new LinkedHashMap<>();
    private final ServingState serving;
    private final List<BiConsumer<Station, ResultRecord>> resultListeners = new CopyOnWriteArrayList<>();

    /** @param recipes each station's recipe at start ("" for none yet) */
    public Stations(Map<String, String> recipes, int bufferSize, ServingState serving) {
        recipes.forEach((name, recipe) -> stations.put(name, new Station(name, recipe, bufferSize)));
        this.serving = serving;
    }

    public Collection<Station> all() {
        return stations.values();
    }

    public Optional<Station> station(String name) {
        return Optional.ofNullable(stations.get(name));
    }

    /** @throws RejectedRequestException NOT_FOUND for a station the node is not configured with */
    public Station named(String name) {
        return station(name).orElseThrow(() -> new RejectedRequestException(Rejection.NOT_FOUND, "no station "
                + Echo.quoted(name) + " (stations: " + String.join(", ", stations.keySet()) + ")"));
    }

    public Station.State state(Station station) {
        boolean served = !station.recipe().isEmpty() && serving.product(station.recipe())
                .map(ServingState.Product::serves).orElse(false);
        if (!served) {
            return Station.State.ERROR;
        }
        return station.busy() ? Station.State.BUSY : Station.State.READY;
    }

    /** The active version of the station's recipe, which its frames are scored with; empty without a recipe. */
    public Optional<Integer> modelVersion(Station station) {
        return station.recipe().isEmpty() ? Optional.empty()
                : serving.product(station.recipe()).map(ServingState.Product::version);
    }

    /**
     * The station's following frames are scored against {@code product}.
     *
     * @throws RejectedRequestException NOT_FOUND for an unknown station or product, FAILED_PRECONDITION for a product
     *     the node cannot score now, with the reason
     */
    public void prepareRecipe(String stationName, String product) {
        Station station = named(stationName);
        ServingState.Product served = serving.product(product).orElseThrow(() -> new RejectedRequestException(
                Rejection.NOT_FOUND, "no product " + Echo.quoted(product) + " on this node"));
        if (!served.serves()) {
            throw new RejectedRequestException(Rejection.FAILED_PRECONDITION, "product '" + product
                    + "' cannot be scored now: " + served.problem().orElse("its active version is not loaded"));
        }
        station.prepare(product);
    }

    /**
     * The request as its station's recipe makes it: a request that names a configured station and no product gets the
     * station's recipe.
     *
     * @throws RejectedRequestException FAILED_PRECONDITION when the request names another product than its station's
     *     recipe (the wrong part at the station, or a camera not told of the switch), or when the station has none
     */
    @Override
    public InspectionRequest withRecipe(InspectionRequest request) {
        Station station = stations.get(request.part().station());
        if (station == null) {
            return request;
        }
        String recipe = station.recipe();
        if (recipe.isEmpty() && request.product().isEmpty()) {
            throw new RejectedRequestException(Rejection.FAILED_PRECONDITION, "station '" + station.name()
                    + "' has no recipe yet: name the product, or prepare a recipe for the station");
        }
        if (request.product().isEmpty()) {
            return request.withProduct(recipe);
        }
        if (!recipe.isEmpty() && !recipe.equals(request.product())) {
            throw new RejectedRequestException(Rejection.FAILED_PRECONDITION, "station '" + station.name()
                    + "' is prepared for recipe '" + recipe + "', not " + Echo.quoted(request.product()));
        }
        return request;
    }

    /** A frame of the station is being scored (a request naming no configured station is ignored). */
    @Override
    public void started(String stationName) {
        Station station = stations.get(stationName);
        if (station != null) {
            station.started();
        }
    }

    @Override
    public void finished(String stationName) {
        Station station = stations.get(stationName);
        if (station != null) {
            station.finished();
        }
    }

    /**
     * {@code listener} hears every part's result a station takes, in the order of their ids, once the station's
     * buffer holds it; on the line feed's thread, so it must be quick.
     */
    public void onResult(BiConsumer<Station, ResultRecord> listener) {
        resultListeners.add(listener);
    }

    /** A part's result the journal recorded: its station (if configured) takes it. */
    public void recorded(ResultRecord result) {
        Station station = stations.get(result.part().station());
        if (station == null) {
            return;
        }
        station.results().add(result);
        for (BiConsumer<Station, ResultRecord> listener : resultListeners) {
            try {
                listener.accept(station, result);
            } catch (RuntimeException e) {
                LOG.warn("a door could not be told of result {} of station '{}': {}", result.resultId(),
                        station.name(), e.toString());
            }
        }
    }

    /**
     * Acknowledges the station's results up to {@code resultId}.
     *
     * @return how many it acknowledged
     * @throws RejectedRequestException NOT_FOUND for an unknown station
     */
    public int acknowledge(String stationName, long resultId) {
        return named(stationName).results().acknowledge(resultId);
    }
}
