package dev.kdedge.calibration.network;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The single description of a network, from which both backends are built: {@link GraphBlock} (DJL blocks, trained on
 * the PyTorch engine) and {@link OnnxExporter} (the ONNX graph that serves). Because both read this one description,
 * the trained network and the served one cannot drift apart.
 *
 * <p>The graph has one image input named {@value #INPUT} (NCHW) and one or more named feature outputs. Nodes are kept
 * in topological order; the builder rejects references to values that do not exist yet.
 */
public final class NetworkGraph {
    public static final String INPUT = "input";

    private final int inputChannels;
    private final List<Node> nodes;
    private final List<String> outputs;

    private NetworkGraph(int inputChannels, List<Node> nodes, List<String> outputs) {
        this.inputChannels = inputChannels;
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
    }

    public int inputChannels() {
        return inputChannels;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Channels of every value in the graph, the input included. */
    public Map<String, Integer> channels() {
        Map<String, Integer> channels = new LinkedHashMap<>();
        channels.put(INPUT, inputChannels);
        for (Node node : nodes) {
            channels.put(node.name(), node.op().outputChannels(channels.get(node.inputs().get(0))));
        }
        return channels;
    }

    /** Spatial size (height or width) of every value for a square input of {@code inputSize}. */
    public Map<String, Integer> spatialSizes(int inputSize) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        sizes.put(INPUT, inputSize);
        for (Node node : nodes) {
            sizes.put(node.name(), node.op().outputSize(sizes.get(node.inputs().get(0))));
        }
        return sizes;
    }

    public static Builder builder(int inputChannels) {
        return new Builder(inputChannels);
    }

    /** Appends nodes in order; each method returns the name of the value it produced. */
    public static final class Builder {
        private final int inputChannels;
        private final List<Node> nodes = new ArrayList<>();
        private final Set<String> values = new HashSet<>(Set.of(INPUT));
        private final Map<String, Integer> channels = new LinkedHashMap<>();

        private Builder(int inputChannels) {
            this.inputChannels = inputChannels;
            channels.put(INPUT, inputChannels);
        }

        public String conv(String name, String input, int outChannels, int kernel, int stride, int padding) {
            return add(name, new Op.Conv(channelsOf(input), outChannels, kernel, stride, padding), input);
        }

        public String batchNorm(String name, String input) {
            return add(name, new Op.BatchNorm(channelsOf(input)), input);
        }

        public String relu(String name, String input) {
            return add(name, new Op.Relu(), input);
        }

        public String add(String name, String left, String right) {
            if (!channelsOf(left).equals(channelsOf(right))) {
                throw new IllegalArgumentException("Add " + name + ": " + left + " and " + right + " differ in channels");
            }
            return add(name, new Op.Add(), left, right);
        }

        public String maxPool(String name, String input, int kernel, int stride, int padding) {
            return add(name, new Op.MaxPool(kernel, stride, padding), input);
        }

        public NetworkGraph build(List<String> outputs) {
            for (String output : outputs) {
                channelsOf(output);
            }
            return new NetworkGraph(inputChannels, nodes, outputs);
        }

        private String add(String name, Op op, String... inputs) {
            if (!values.add(name)) {
                throw new IllegalArgumentException("Duplicate value name: " + name);
            }
            for (String input : inputs) {
                channelsOf(input);
            }
            nodes.add(new Node(name, op, List.of(inputs)));
            channels.put(name, op.outputChannels(channels.get(inputs[0])));
            return name;
        }

        /** Channels of a value already in the graph. */
        public int channels(String value) {
            return channelsOf(value);
        }

        private Integer channelsOf(String value) {
            Integer c = channels.get(value);
            if (c == null) {
                throw new IllegalArgumentException("Unknown value: " + value);
            }
            return c;
        }
    }
}
