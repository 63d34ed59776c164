package dev.kdedge.calibration.method.rd4ad;

import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.ResNetGraphs;
import dev.kdedge.calibration.network.ResNetGraphs.Resample;
import java.util.List;

/**
 * RD4AD's trainable network as the official code builds it, with its module names ({@code bn.*} for the OCBE,
 * {@code decoder.*} for the decoder). Inputs: the teacher's layer1..layer3 features. OCBE: layer1 through two
 * stride-2 3x3 convs and layer2 through one, each with BatchNorm and ReLU, concatenated with layer3 (the official
 * code's 1x1 fusion conv is declared but never called, so it is absent here), then one residual stage of the
 * teacher's block type that halves the resolution. Decoder: the teacher's stages mirrored, each doubling the
 * resolution in its first block with transposed 2x2 convs. Outputs pair with the teacher's taps in order.
 */
final class Rd4adStudent {
    private Rd4adStudent() {}

    /** The teacher families RD4AD's code pairs a decoder with, told apart by the channels of their taps. */
    enum Encoder {
        /** ResNet-18: BasicBlocks; OCBE stage of 2, decoder [2, 2, 2]. */
        RESNET18("rd4ad-resnet18", false, 2, new int[] {2, 2, 2}),
        /** Wide-ResNet-50-2, the paper's teacher: Bottlenecks twice as wide inside; OCBE stage of 3, decoder [3, 4, 6]. */
        WIDE_RESNET50_2("rd4ad-wide_resnet50_2", true, 3, new int[] {3, 4, 6});

        private final String architecture;
        private final boolean bottleneck;
        private final int bottleneckBlocks;
        private final int[] decoderBlocks;

        Encoder(String architecture, boolean bottleneck, int bottleneckBlocks, int[] decoderBlocks) {
            this.architecture = architecture;
            this.bottleneck = bottleneck;
            this.bottleneckBlocks = bottleneckBlocks;
            this.decoderBlocks = decoderBlocks;
        }

        String architecture() {
            return architecture;
        }

        /**
         * The family of a teacher with taps of C, 2C and 4C channels: Bottleneck networks expand their blocks' output
         * four times (C = 256), BasicBlock networks do not (C = 64, or less for a toy teacher).
         */
        static Encoder of(List<Integer> teacherChannels) {
            int c = teacherChannels.get(0);
            if (teacherChannels.size() != 3 || teacherChannels.get(1) != 2 * c || teacherChannels.get(2) != 4 * c) {
                throw new IllegalArgumentException("RD4AD needs a ResNet-style teacher with three taps of C, 2C, 4C "
                        + "channels (layer1..layer3); this teacher has " + teacherChannels);
            }
            return c >= 256 ? WIDE_RESNET50_2 : RESNET18;
        }

        private String block(NetworkGraph.Builder g, String prefix, String input, int channels, Resample resample,
                String outputName) {
            return bottleneck ? ResNetGraphs.bottleneck(g, prefix, input, channels / 2, channels, resample, outputName)
                    : ResNetGraphs.basicBlock(g, prefix, input, channels, resample, outputName);
        }
    }

    static NetworkGraph graph(List<Integer> teacherChannels) {
        Encoder encoder = Encoder.of(teacherChannels);
        int c = teacherChannels.get(0);
        NetworkGraph.Builder g = NetworkGraph.builder(List.of(
                new NetworkGraph.Input("encoder.layer1", c, 4),
                new NetworkGraph.Input("encoder.layer2", 2 * c, 8),
                new NetworkGraph.Input("encoder.layer3", 4 * c, 16)));

        String fromLayer1 = convBnRelu(g, "1", "encoder.layer1", 2 * c);
        fromLayer1 = convBnRelu(g, "2", fromLayer1, 4 * c);
        String fromLayer2 = convBnRelu(g, "3", "encoder.layer2", 4 * c);
        String fused = g.concat("bn.concat", fromLayer1, fromLayer2, "encoder.layer3");
        String embedding = stage(g, encoder, "bn.bn_layer", fused, 8 * c, Resample.DOWN, encoder.bottleneckBlocks,
                "bn.embedding");

        String x = embedding;
        for (int stage = 0; stage < 3; stage++) {
            String layer = "decoder.layer" + (stage + 1);
            x = stage(g, encoder, layer, x, (4 * c) >> stage, Resample.UP, encoder.decoderBlocks[stage], layer);
        }
        return g.build(List.of("decoder.layer3", "decoder.layer2", "decoder.layer1"));
    }

    /** A stride-2 3x3 conv with BatchNorm and ReLU, named {@code bn.conv<i>}, {@code bn.bn<i>}, {@code bn.relu<i>}. */
    private static String convBnRelu(NetworkGraph.Builder g, String index, String input, int channels) {
        String y = g.conv("bn.conv" + index, input, channels, 3, 2, 1);
        y = g.batchNorm("bn.bn" + index, y);
        return g.relu("bn.relu" + index, y);
    }

    private static String stage(NetworkGraph.Builder g, Encoder encoder, String name, String input, int channels,
            Resample first, int blocks, String outputName) {
        String x = input;
        for (int block = 0; block < blocks; block++) {
            x = encoder.block(g, name + "." + block, x, channels, block == 0 ? first : Resample.NONE,
                    block == blocks - 1 ? outputName : null);
        }
        return x;
    }
}
