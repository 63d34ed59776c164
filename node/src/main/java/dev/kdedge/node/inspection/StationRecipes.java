package dev.kdedge.node.inspection;

/**
 * What the line's stations do to an inspection (see line.Stations): a request gets its station's recipe, and the
 * station knows while a frame of it is being scored.
 */
public interface StationRecipes {
    /** No stations: every request names its product. */
    StationRecipes NONE = new StationRecipes() {
        @Override
        public InspectionRequest withRecipe(InspectionRequest request) {
            return request;
        }

        @Override
        public void started(String station) {}

        @Override
        public void finished(String station) {}
    };

    /** @throws RejectedRequestException when the request cannot be scored at its station, saying why */
    InspectionRequest withRecipe(InspectionRequest request);

    void started(String station);

    void finished(String station);
}
