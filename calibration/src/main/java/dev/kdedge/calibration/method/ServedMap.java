package dev.kdedge.calibration.method;

/**
 * The values a method's served map writes into the served graph: the anomaly map ([N, 1, H, W], on the threshold's
 * scale) and the image score ([N, 1, 1, 1]).
 */
public record ServedMap(String map, String score) {}
