package dev.kdedge.node.models;

/**
 * A version's don't-care mask as its engineer drew it (fit --dont-care), for clients that score on the node and must
 * leave the region out as the node does ({@code evaluate --node}).
 *
 * @param png the PNG in the version's bundle, checked against its manifest's digest; empty where the version has none
 * @param sha256 the digest; empty where the version has none
 */
public record DontCareDrawing(int version, byte[] png, String sha256) {}
