package dev.kdedge.calibration.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import dev.kdedge.calibration.demo.ToyTeacher;
import dev.kdedge.calibration.tensor.FloatTensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxNetworkTest {
    @TempDir
    Path dir;

    /**
     * A model composed in memory (a served graph, 73 MB for RD4AD, loaded by the node and by every fit's INT8 step)
     * goes to ONNX Runtime as it is. Handed to DJL as a stream it was read into a growing buffer and copied: about
     * four times the model on the heap at once, which ran a 512 MB fit out of heap while it quantized.
     */
    @Test
    void aModelHeldInMemoryIsLoadedWithoutCopiesOnTheHeap() throws Exception {
        Path file = dir.resolve("teacher.onnx");
        ToyTeacher.write(file, 128, 3);
        byte[] onnx = Files.readAllBytes(file);
        assertTrue(onnx.length > 40_000_000, "a model of some size: " + onnx.length);
        FloatTensor image = new FloatTensor(1, 3, 64, 64, new float[3 * 64 * 64]);
        List<FloatTensor> fromFile;
        try (OnnxNetwork network = OnnxNetwork.load(file, InferenceOptions.cpu(1))) {
            fromFile = network.run(image);
        }

        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (OnnxNetwork network = OnnxNetwork.load(onnx, "in memory", InferenceOptions.cpu(1))) {
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < onnx.length / 10, allocated + " bytes allocated to load a model of " + onnx.length);
            List<FloatTensor> fromMemory = network.run(image);
            for (int i = 0; i < fromFile.size(); i++) {
                assertArrayEquals(fromFile.get(i).data(), fromMemory.get(i).data(), "output " + i);
            }
        }
    }
}
