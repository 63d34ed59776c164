package dev.kdedge.calibration.network;

import java.util.ArrayList;
import java.util.List;

/**
 * ResNet descriptions with torchvision's layer names, cut after a given stage, with every stage output as a named
 * graph output ({@code layer1}, {@code layer2}, ...).
 */
public final class ResNetGraphs {
    private ResNetGraphs() {}

    /** ResNet-18 up to layer3 at the given base width (64 is torchvision's; smaller widths make toy teachers). */
    public static NetworkGraph resnet18UpToLayer3(int width) {
        return basicBlockStages(width, new int[] {2, 2, 2});
    }

    /**
     * Stem (conv7x7/2, BN, ReLU, maxpool3x3/2) followed by stages of BasicBlocks; stage i has {@code width * 2^i}
     * channels and, from the second stage on, halves the resolution in its first block.
     */
    public static NetworkGraph basicBlockStages(int width, int[] blocksPerStage) {
        NetworkGraph.Builder g = NetworkGraph.builder(3);
        String x = g.conv("conv1", NetworkGraph.INPUT, width, 7, 2, 3);
        x = g.batchNorm("bn1", x);
        x = g.relu("relu", x);
        x = g.maxPool("maxpool", x, 3, 2, 1);
        List<String> outputs = new ArrayList<>();
        for (int stage = 0; stage < blocksPerStage.length; stage++) {
            int channels = width << stage;
            String layer = "layer" + (stage + 1);
            for (int block = 0; block < blocksPerStage[stage]; block++) {
                int stride = (stage > 0 && block == 0) ? 2 : 1;
                boolean last = block == blocksPerStage[stage] - 1;
                x = basicBlock(g, layer + "." + block, x, channels, stride, last ? layer : null);
            }
            outputs.add(layer);
        }
        return g.build(outputs);
    }

    private static String basicBlock(NetworkGraph.Builder g, String prefix, String input, int channels, int stride,
            String outputName) {
        String y = g.conv(prefix + ".conv1", input, channels, 3, stride, 1);
        y = g.batchNorm(prefix + ".bn1", y);
        y = g.relu(prefix + ".relu1", y);
        y = g.conv(prefix + ".conv2", y, channels, 3, 1, 1);
        y = g.batchNorm(prefix + ".bn2", y);
        String shortcut = input;
        if (stride != 1 || g.channels(input) != channels) {
            shortcut = g.conv(prefix + ".downsample.0", input, channels, 1, stride, 0);
            shortcut = g.batchNorm(prefix + ".downsample.1", shortcut);
        }
        String sum = g.add(prefix + ".add", y, shortcut);
        return g.relu(outputName != null ? outputName : prefix + ".relu2", sum);
    }
}
