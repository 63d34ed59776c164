package dev.kdedge.node.models;

/** A product in the store at a glance. @param activeVersion 0 when none is active */
public record ProductOverview(String product, int activeVersion, int versions) {}
