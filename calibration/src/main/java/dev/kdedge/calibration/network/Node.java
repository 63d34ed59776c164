package dev.kdedge.calibration.network;

import java.util.List;

/** A named operation applied to the named values in {@code inputs}; its result carries the node's name. */
public record Node(String name, Op op, List<String> inputs) {
    public Node {
        inputs = List.copyOf(inputs);
    }
}
