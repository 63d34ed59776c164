package dev.kdedge.node.models;

/**
 * A don't-care region as an engineer hands it to the node: a mask drawn as a PNG, polygons written down as JSON (what
 * {@code kdedge-calibrate fit --dont-care region.json} reads), or none, every pixel counting.
 */
public record DontCareRegionInput(Form form, byte[] bytes) {
    public enum Form { PNG, POLYGONS, NONE }

    public static final DontCareRegionInput NONE = new DontCareRegionInput(Form.NONE, new byte[0]);

    /** The file name ending the fit's readers tell the forms apart by. */
    String suffix() {
        return form == Form.POLYGONS ? ".json" : ".png";
    }
}
