package dev.kdedge.calibration.method.stfpm;

import dev.kdedge.calibration.network.NetworkGraph;
import dev.kdedge.calibration.network.ResNetGraphs;
import java.util.List;

/** STFPM's student: the teacher's own architecture (ResNet-18 up to layer3), randomly initialized. */
final class StfpmStudent {
    static final String ARCHITECTURE = "resnet18-layer3";

    private StfpmStudent() {}

    static NetworkGraph graph(List<Integer> teacherChannels) {
        int width = teacherChannels.get(0);
        if (teacherChannels.size() != 3 || teacherChannels.get(1) != 2 * width || teacherChannels.get(2) != 4 * width) {
            throw new IllegalArgumentException("STFPM needs a ResNet-18-style teacher with three taps of C, 2C, 4C "
                    + "channels (layer1..layer3); this teacher has " + teacherChannels);
        }
        return ResNetGraphs.resnet18UpToLayer3(width);
    }
}
