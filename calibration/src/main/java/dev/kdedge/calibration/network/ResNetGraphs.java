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
                Resample resample = stage > 0 && block == 0 ? Resample.DOWN : Resample.NONE;
                boolean last = block == blocksPerStage[stage] - 1;
                x = basicBlock(g, layer + "." + block, x, channels, resample, last ? layer : null);
            }
            outputs.add(layer);
        }
        return g.build(outputs);
    }

    /**
     * How a residual block changes its input's resolution: a strided conv halves it (the encoder), a transposed conv
     * with kernel and stride 2 doubles it (RD4AD's mirrored decoder); the shortcut then does the same.
     */
    public enum Resample {
        NONE, DOWN, UP
    }

    /**
     * A BasicBlock (two 3x3 convs) with torchvision's names under {@code prefix}: its shortcut is {@code downsample}
     * when it halves the resolution or changes the channels, {@code upsample} when it doubles the resolution.
     *
     * @param outputName the name of the block's output, or null for {@code prefix.relu}
     */
    public static String basicBlock(NetworkGraph.Builder g, String prefix, String input, int channels,
            Resample resample, String outputName) {
        String y = resampling3x3(g, prefix + ".conv1", input, channels, resample);
        y = g.batchNorm(prefix + ".bn1", y);
        y = g.relu(prefix + ".relu1", y);
        y = g.conv(prefix + ".conv2", y, channels, 3, 1, 1);
        y = g.batchNorm(prefix + ".bn2", y);
        return residual(g, prefix, input, y, channels, resample, outputName);
    }

    /**
     * A Bottleneck (1x1, 3x3, 1x1 convs; the 3x3 carries the resolution change, a transposed 2x2 conv when it
     * doubles it), with torchvision's names under {@code prefix} and shortcut as in {@link #basicBlock}.
     *
     * @param innerWidth the channels of the 3x3 conv (Wide-ResNet-50-2: twice ResNet-50's)
     */
    public static String bottleneck(NetworkGraph.Builder g, String prefix, String input, int innerWidth,
            int channels, Resample resample, String outputName) {
        String y = g.conv(prefix + ".conv1", input, innerWidth, 1, 1, 0);
        y = g.batchNorm(prefix + ".bn1", y);
        y = g.relu(prefix + ".relu1", y);
        y = resampling3x3(g, prefix + ".conv2", y, innerWidth, resample);
        y = g.batchNorm(prefix + ".bn2", y);
        y = g.relu(prefix + ".relu2", y);
        y = g.conv(prefix + ".conv3", y, channels, 1, 1, 0);
        y = g.batchNorm(prefix + ".bn3", y);
        return residual(g, prefix, input, y, channels, resample, outputName);
    }

    /** The conv that carries a block's resolution change: 3x3 (stride 2 to halve), or transposed 2x2 to double. */
    private static String resampling3x3(NetworkGraph.Builder g, String name, String input, int channels,
            Resample resample) {
        return resample == Resample.UP ? g.convTranspose(name, input, channels, 2)
                : g.conv(name, input, channels, 3, resample == Resample.DOWN ? 2 : 1, 1);
    }

    private static String residual(NetworkGraph.Builder g, String prefix, String input, String y, int channels,
            Resample resample, String outputName) {
        String shortcut = input;
        if (resample == Resample.UP) {
            shortcut = g.convTranspose(prefix + ".upsample.0", input, channels, 2);
            shortcut = g.batchNorm(prefix + ".upsample.1", shortcut);
        } else if (resample == Resample.DOWN || g.channels(input) != channels) {
            shortcut = g.conv(prefix + ".downsample.0", input, channels, 1, resample == Resample.DOWN ? 2 : 1, 0);
            shortcut = g.batchNorm(prefix + ".downsample.1", shortcut);
        }
        String sum = g.add(prefix + ".add", y, shortcut);
        return g.relu(outputName != null ? outputName : prefix + ".relu", sum);
    }
}
