package dev.kdedge.calibration.method.mkd;

import dev.kdedge.calibration.network.NetworkGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * MKD's cloner as the official code builds it from a config: blocks of 3x3 convs (padding 1, no bias), BatchNorm and
 * ReLU after every conv except the last of a block, which has ReLU only, each block ended by a 2x2 max-pool. Its
 * critical points (taps) are block outputs whose channels and resolution match the source's.
 *
 * @param blocks each block's conv widths
 * @param firstTapBlock the block whose output is the first tap; every later block's output is one too
 * @param detectionTaps how many of the last taps the detection score and localization use
 */
record MkdCloner(String source, List<List<Integer>> blocks, int firstTapBlock, int detectionTaps) {
    static final int NARROW = 16;
    /** VGG-16's critical points: pool2..pool5. */
    private static final List<Integer> VGG16_TAPS = List.of(128, 256, 512, 512);

    /**
     * The cloner of a source by its taps' channels: VGG-16's pool2..pool5 (the paper's config, [16,16] [16,128]
     * [16,16,256] [16,16,512] [16,16,512]; training on the four, detection on pool3..pool5), or a ResNet's
     * layer1..layer3 with C, 2C, 4C channels at 1/4, 1/8, 1/16 of the image ([16,16] [16,C] [16,16,2C] [16,16,4C];
     * training and detection on all three, the only critical points there are).
     */
    static MkdCloner of(List<Integer> teacherChannels) {
        if (teacherChannels.equals(VGG16_TAPS)) {
            return new MkdCloner("vgg16", List.of(List.of(NARROW, NARROW), List.of(NARROW, 128),
                    List.of(NARROW, NARROW, 256), List.of(NARROW, NARROW, 512), List.of(NARROW, NARROW, 512)), 1, 3);
        }
        int c = teacherChannels.get(0);
        if (teacherChannels.size() != 3 || teacherChannels.get(1) != 2 * c || teacherChannels.get(2) != 4 * c) {
            throw new IllegalArgumentException("MKD needs VGG-16's pool2..pool5 taps " + VGG16_TAPS + " or a ResNet's "
                    + "layer1..layer3 (C, 2C, 4C channels); this teacher has " + teacherChannels);
        }
        return new MkdCloner("resnet", List.of(List.of(NARROW, NARROW), List.of(NARROW, c),
                List.of(NARROW, NARROW, 2 * c), List.of(NARROW, NARROW, 4 * c)), 1, 3);
    }

    /** "mkd-cloner-resnet[16,16|16,64|16,16,128|16,16,256]": the source family and every block's widths. */
    String architecture() {
        return "mkd-cloner-" + source + blocks.stream()
                .map(b -> b.stream().map(String::valueOf).collect(Collectors.joining(",")))
                .collect(Collectors.joining("|", "[", "]"));
    }

    /** The image must tile every block's 2x2 pools exactly for the gradient to route back through them. */
    int sideMultiple() {
        return 1 << blocks.size();
    }

    /** Indices, among the cloner's outputs, of the taps detection and localization use. */
    List<Integer> detectionTapIndices() {
        int taps = blocks.size() - firstTapBlock;
        List<Integer> indices = new ArrayList<>();
        for (int i = taps - detectionTaps; i < taps; i++) {
            indices.add(i);
        }
        return indices;
    }

    NetworkGraph graph() {
        NetworkGraph.Builder g = NetworkGraph.builder(3);
        String x = NetworkGraph.INPUT;
        List<String> taps = new ArrayList<>();
        for (int b = 0; b < blocks.size(); b++) {
            List<Integer> widths = blocks.get(b);
            String block = "block" + (b + 1);
            for (int i = 0; i < widths.size(); i++) {
                String name = block + ".conv" + (i + 1);
                x = g.conv(name, x, widths.get(i), 3, 1, 1);
                if (i < widths.size() - 1) {
                    x = g.batchNorm(block + ".bn" + (i + 1), x);
                }
                x = g.relu(block + ".relu" + (i + 1), x);
            }
            x = g.maxPool(block, x, 2, 2, 0);
            if (b >= firstTapBlock) {
                taps.add(x);
            }
        }
        return g.build(taps);
    }
}
