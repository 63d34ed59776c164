package dev.kdedge.node.inspection;

import dev.kdedge.calibration.text.Echo;

/**
 * The part an image shows, as the line names it.
 *
 * @param id the line's identifier (its serial number); empty until the node assigns one
 * @param station the inspection point that took the image; may be empty
 * @param view which camera view of the part the image is; may be empty
 */
public record Part(String id, String station, String view) {
    public static final int MAX_LENGTH = 128;
    public static final Part UNNAMED = new Part("", "", "");

    /** The same part under the id the node gave it. */
    public Part withId(String assigned) {
        return new Part(assigned, station, view);
    }

    /** @return what is wrong with the names, or null when nothing is */
    String problem() {
        for (String[] field : new String[][] {{"part_id", id}, {"station", station}, {"view", view}}) {
            String value = field[1];
            if (value.length() > MAX_LENGTH || !value.chars().allMatch(c -> c >= 0x20 && c != 0x7F)) {
                return field[0] + " must be at most " + MAX_LENGTH + " printable characters, was "
                        + Echo.quoted(value);
            }
        }
        return null;
    }
}
