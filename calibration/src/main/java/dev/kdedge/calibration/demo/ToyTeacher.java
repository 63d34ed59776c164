package dev.kdedge.calibration.demo;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.kdedge.calibration.engine.PyTorchEngine;
import dev.kdedge.calibration.network.GraphBlock;
import dev.kdedge.calibration.network.OnnxExporter;
import dev.kdedge.calibration.network.ResNetGraphs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small randomly initialized ResNet-18-shaped teacher (layer1..layer3 taps), generated locally so the demo runs
 * with no download. Random convolutional features separate the demo's scratches from its texture; for real products
 * use an ImageNet-trained teacher.
 */
public final class ToyTeacher {
    private ToyTeacher() {}

    public static void write(Path onnxFile, int width, long seed) throws IOException {
        PyTorchEngine.get().setRandomSeed((int) seed);
        try (Model model = Model.newInstance("toy-teacher", Device.cpu(), "PyTorch")) {
            GraphBlock block = new GraphBlock(ResNetGraphs.resnet18UpToLayer3(width));
            block.setInitializer(GraphBlock.kaimingNormalFanOut(), Parameter.Type.WEIGHT);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 3, 64, 64));
            model.setBlock(block);
            try (OutputStream out = Files.newOutputStream(onnxFile)) {
                OnnxExporter.export(block, "toy-teacher").writeTo(out);
            }
        }
    }
}
