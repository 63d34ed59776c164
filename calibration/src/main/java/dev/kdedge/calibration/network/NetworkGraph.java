package dev.kdedge.calibration.network;

import dev.kdedge.calibration.tensor.Extent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The single description of a network, from which both backends are built: {@link GraphBlock} (DJL blocks, trained on
 * the PyTorch engine) and {@link OnnxExporter} (the ONNX graph that serves). Because both read this one description,
 * the trained network and the served one cannot drift apart.
 *
 * <p>The graph has one or more named NCHW inputs (an image named {@value #INPUT}, or feature maps) and one or more named
 * feature outputs. Nodes are kept in topological order; the builder rejects references to values that do not exist
 * yet.
 */
public final class NetworkGraph {
    public static final String INPUT = "input";

    /**
     * One input of the graph: {@code channels} wide, its side the image's divided by {@code downsampling} (1 for the
     * image itself, 4 for a feature map at a quarter of its resolution).
     */
    public record Input(String name, int channels, int downsampling) {}

    private final List<Input> inputs;
    private final List<Node> nodes;
    private final List<String> outputs;

    private NetworkGraph(List<Input> inputs, List<Node> nodes, List<String> outputs) {
        this.inputs = List.copyOf(inputs);
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Channels of every value in the graph, the inputs included. */
    public Map<String, Integer> channels() {
        Map<String, Integer> channels = new LinkedHashMap<>();
        for (Input input : inputs) {
            channels.put(input.name(), input.channels());
        }
        for (Node node : nodes) {
            channels.put(node.name(), node.op().outputChannels(node.inputs().stream().map(channels::get).toList()));
        }
        return channels;
    }

    /** Width and height of every value for an image of {@code imageSize}. */
    public Map<String, Extent> spatialSizes(Extent imageSize) {
        Map<String, Extent> sizes = new LinkedHashMap<>();
        for (Input input : inputs) {
            sizes.put(input.name(), imageSize.dividedBy(input.downsampling()));
        }
        for (Node node : nodes) {
            Extent in = sizes.get(node.inputs().get(0));
            sizes.put(node.name(), new Extent(node.op().outputSize(in.width()), node.op().outputSize(in.height())));
        }
        return sizes;
    }

    /** A graph whose one input is an image of {@code inputChannels} named {@value #INPUT}. */
    public static Builder builder(int inputChannels) {
        return builder(List.of(new Input(INPUT, inputChannels, 1)));
    }

    public static Builder builder(List<Input> inputs) {
        return new Builder(inputs);
    }

    /** Appends nodes in order; each method returns the name of the value it produced. */
    public static final class Builder {
        private final List<Input> inputs;
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Integer> channels = new LinkedHashMap<>();

        private Builder(List<Input> inputs) {
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("a graph needs at least one input");
            }
            this.inputs = List.copyOf(inputs);
            for (Input input : inputs) {
                if (channels.put(input.name(), input.channels()) != null) {
                    throw new IllegalArgumentException("Duplicate input name: " + input.name());
                }
            }
        }

        public String conv(String name, String input, int outChannels, int kernel, int stride, int padding) {
            return add(name, new Op.Conv(channelsOf(input), outChannels, kernel, stride, padding), input);
        }

        public String convTranspose(String name, String input, int outChannels, int kernel) {
            return add(name, new Op.ConvTranspose(channelsOf(input), outChannels, kernel), input);
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

        public String concat(String name, String... inputs) {
            return add(name, new Op.Concat(), inputs);
        }

        public String maxPool(String name, String input, int kernel, int stride, int padding) {
            return add(name, new Op.MaxPool(kernel, stride, padding), input);
        }

        public NetworkGraph build(List<String> outputs) {
            for (String output : outputs) {
                channelsOf(output);
            }
            return new NetworkGraph(inputs, nodes, outputs);
        }

        private String add(String name, Op op, String... inputs) {
            if (channels.containsKey(name)) {
                throw new IllegalArgumentException("Duplicate value name: " + name);
            }
            List<Integer> inputChannels = new ArrayList<>();
            for (String input : inputs) {
                inputChannels.add(channelsOf(input));
            }
            nodes.add(new Node(name, op, List.of(inputs)));
            channels.put(name, op.outputChannels(inputChannels));
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
