package dev.kdedge.calibration.network;

import dev.kdedge.calibration.tensor.Extent;
import java.util.Map;

/** What a network costs: its trained weights and the multiply-adds of one image through it. */
public final class NetworkCost {
    private NetworkCost() {}

    /** Convolution weights and BatchNorm's scale and shift (not its running statistics). */
    public static long weights(NetworkGraph graph) {
        Map<String, Integer> channels = graph.channels();
        long total = 0;
        for (Node node : graph.nodes()) {
            if (node.op() instanceof Op.Conv c) {
                total += (long) c.inChannels() * c.outChannels() * c.kernel() * c.kernel();
            } else if (node.op() instanceof Op.ConvTranspose t) {
                total += (long) t.inChannels() * t.outChannels() * t.kernel() * t.kernel();
            } else if (node.op() instanceof Op.BatchNorm) {
                total += 2L * channels.get(node.name());
            }
        }
        return total;
    }

    /** Multiply-adds of the convolutions for one image of {@code imageSize}. */
    public static long multiplyAdds(NetworkGraph graph, Extent imageSize) {
        Map<String, Extent> sizes = graph.spatialSizes(imageSize);
        long total = 0;
        for (Node node : graph.nodes()) {
            long positions = sizes.get(node.name()).area();
            if (node.op() instanceof Op.Conv c) {
                total += positions * c.inChannels() * c.outChannels() * c.kernel() * c.kernel();
            } else if (node.op() instanceof Op.ConvTranspose t) {
                total += positions * t.inChannels() * t.outChannels();
            }
        }
        return total;
    }
}
