package dev.kdedge.calibration.network;

import java.util.List;
import java.util.Map;

/**
 * Where an exported student's values and weights are once its ONNX graph is part of a larger one (the served graph):
 * every name under {@code prefix}, except the student's inputs, which read the values {@code inputs} maps them to.
 * What a method needs to write operators that read the student's inside, such as its backward pass.
 */
public record ServedStudent(NetworkGraph graph, String prefix, Map<String, String> inputs) {
    public ServedStudent {
        inputs = Map.copyOf(inputs);
    }

    /** The served name of a value of the student graph (an input or a node's output). */
    public String value(String name) {
        return name.isEmpty() ? name : inputs.getOrDefault(name, prefix + name);
    }

    /** The served name of a node's trained tensor, by its ONNX name ("weight", "running_var"). */
    public String parameter(String node, String onnxName) {
        return prefix + OnnxExporter.parameterName(node, onnxName);
    }

    /** The student's outputs, in tap order. */
    public List<String> taps() {
        return graph.outputs().stream().map(this::value).toList();
    }
}
