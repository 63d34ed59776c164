package dev.kdedge.calibration.metrics;

/** The per-region overlap against the pixel false-positive rate, from 0 up to the PRO limit. */
public record ProCurve(double[] falsePositiveRates, double[] overlaps) {}
