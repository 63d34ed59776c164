package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;

/**
 * Which results a reader wants; an empty string or a null evaluation matches every result.
 *
 * @param partsOnly only the parts' results (see {@link ResultRecord#partResult()})
 */
public record ResultFilter(String product, String station, Evaluation evaluation, boolean partsOnly) {}
