package dev.kdedge.calibration.scoring;

import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.engine.OnnxNetwork;
import dev.kdedge.calibration.image.InterleavedPixels;
import dev.kdedge.calibration.image.PixelView;
import dev.kdedge.calibration.image.Pixels;
import dev.kdedge.calibration.image.Preprocessing;
import dev.kdedge.calibration.image.Resampling;
import dev.kdedge.calibration.network.OnnxOps;
import dev.kdedge.calibration.tensor.FloatTensor;
import dev.kdedge.onnx.GraphProto;
import dev.kdedge.onnx.ModelProto;
import dev.kdedge.onnx.OperatorSetIdProto;
import dev.kdedge.onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * The front the node serves a version's graph with: a camera frame goes in as it was decoded or sent, 8-bit pixels at
 * its own size, and {@link Preprocessing#apply} runs inside the graph (ONNX Runtime's kernels) rather than per pixel
 * in Java. Inputs: {@value #FRAME}, uint8 [N, H, W, C] (interleaved, as cameras and decoders deliver them, C 1 or 3)
 * and {@value #CHANNELS}, int64 [3], the frame channel that holds red, green and blue
 * ({@link InterleavedPixels#channelSources}: a gray frame's one channel three times, a BGR frame's in reverse), so
 * neither gray replication nor BGR order costs a pass in Java. The front computes what {@code Preprocessing}
 * computes: Pillow's antialiased bilinear resize of 8-bit images to S x S (ONNX Resize with antialias and
 * exclude_outside on the 8-bit pixels, one axis at a time), then {@code (v / 255 - mean) / std}; what it writes is the
 * served graph's {@value ServedGraph#INPUT}, so the rest of the graph is unchanged.
 */
public final class FrameInput {
    public static final String FRAME = "frame";
    public static final String CHANNELS = "frame_channels";
    /** Resize antialiases (Pillow's widened triangle filter) from opset 18 on. */
    public static final long OPSET = 18;
    /**
     * How far the front's model input may be from the fit's, in 8-bit levels: both resample in Pillow's fixed-point
     * arithmetic, from weights computed apart, so one level where a sum lies within their difference of a rounding
     * boundary.
     */
    public static final double LEVELS_BOUND = 1;

    private FrameInput() {}

    /**
     * {@code served} (input {@value ServedGraph#INPUT}, [N, 3, H, W]) taking frames; empty where its opset predates
     * {@value #OPSET} (a version fitted before frames went into the graph: its images are preprocessed in Java).
     */
    public static Optional<ModelProto> prepend(ModelProto served, Preprocessing preprocessing) {
        long opset = served.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OperatorSetIdProto::getVersion).max().orElse(0);
        if (opset < OPSET) {
            return Optional.empty();
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName(served.getGraph().getName());
        addInputs(g);
        write(new OnnxOps(g, opset, "frame/"), preprocessing);
        GraphProto graph = served.getGraph();
        graph.getInputList().stream().filter(in -> !in.getName().equals(ServedGraph.INPUT)).forEach(g::addInput);
        g.addAllInitializer(graph.getInitializerList()).addAllNode(graph.getNodeList())
                .addAllOutput(graph.getOutputList()).addAllValueInfo(graph.getValueInfoList());
        return Optional.of(served.toBuilder().setGraph(g).build());
    }

    /** The front alone: frames in, the model's input [N, 3, H, W] out. */
    static ModelProto front(Preprocessing preprocessing) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("frame-input");
        addInputs(g);
        write(new OnnxOps(g, OPSET, "frame/"), preprocessing);
        g.addOutput(ServedGraph.value(ServedGraph.INPUT, TensorProto.DataType.FLOAT, "batch", "3",
                Integer.toString(preprocessing.height()), Integer.toString(preprocessing.width())));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("kdedge").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).build();
    }

    /**
     * The parity of the front with {@link Preprocessing#apply} on {@code frames}: the largest difference of a model
     * input value, in 8-bit levels.
     */
    public static double levelsApart(Preprocessing preprocessing, List<Pixels> frames, InferenceOptions options)
            throws IOException {
        double levels = 0;
        FrameBuffers buffers = new FrameBuffers();
        try (OnnxNetwork front = OnnxNetwork.load(front(preprocessing).toByteArray(), "frame input", options)) {
            for (Pixels frame : frames) {
                float[] inGraph = run(front, List.of(frame), buffers).get(0).data();
                float[] reference = preprocessing.apply(frame).data();
                int plane = reference.length / 3;
                for (int i = 0; i < reference.length; i++) {
                    double std = preprocessing.std().get(i / plane);
                    levels = Math.max(levels, Math.abs(inGraph[i] - reference[i]) * std * 255);
                }
            }
        }
        return levels;
    }

    /** Whether {@code levels} ({@link #levelsApart}) is within the bound, read through the float normalization. */
    public static boolean withinBound(double levels) {
        return levels <= LEVELS_BOUND + 1e-3;
    }

    /**
     * Runs frames of one layout ({@link InterleavedPixels#sameLayout}) as one batch through a graph with this front: a
     * frame alone in a direct buffer as its input tensor's memory, else their pixels copied into a buffer of {@code
     * buffers}, which ONNX Runtime takes as it is.
     */
    static List<FloatTensor> run(OnnxNetwork network, List<? extends InterleavedPixels> frames, FrameBuffers buffers) {
        InterleavedPixels first = frames.get(0);
        for (InterleavedPixels frame : frames) {
            if (!frame.sameLayout(first)) {
                throw new IllegalArgumentException("frames of one batch must share size and channels");
            }
        }
        long[] shape = {frames.size(), first.height(), first.width(), first.channels()};
        if (frames.size() == 1 && first instanceof PixelView view && view.direct()) {
            return network.runFrames(view.pixels(), shape, first.channelSources());
        }
        ByteBuffer pixels = buffers.take(Math.multiplyExact(first.byteSize(), frames.size()));
        try {
            for (InterleavedPixels frame : frames) {
                frame.copyTo(pixels);
            }
            pixels.flip();
            return network.runFrames(pixels, shape, first.channelSources());
        } finally {
            buffers.giveBack(pixels);
        }
    }

    /** The front's nodes, from {@link #FRAME} and {@link #CHANNELS} to {@value ServedGraph#INPUT}. */
    private static void write(OnnxOps ops, Preprocessing preprocessing) {
        long width = preprocessing.width();
        long height = preprocessing.height();
        // Pillow's order, across (the width) first, unless the value between the passes would outgrow the frame, the
        // output and Resampling.LARGEST_INTERMEDIATE (Resampling.horizontalFirst: for an output of W x H, a frame
        // narrower than W and taller than that limit over W)
        String shape = ops.shape(FRAME);
        String downFirst = ops.and(ops.less(ops.gather(shape, 0, new int[] {2}), ops.longs(width)),
                ops.greater(ops.gather(shape, 0, new int[] {1}), ops.longs(Resampling.LARGEST_INTERMEDIATE / width)));
        // on the 8-bit pixels: ONNX Runtime then resamples as Pillow does 8-bit images (fixed-point weights, each pass
        // rounded to 8 bits), which Resampling.resizeImage computes too
        String resized = ops.ifElse(downFirst, TensorProto.DataType.UINT8,
                then -> resize(then, resize(then, FRAME, 1, height), 2, width),
                otherwise -> resize(otherwise, resize(otherwise, FRAME, 2, width), 1, height));
        // a gray frame's one channel becomes three here, after the resize, not before it
        String rgb = ops.toFloat(ops.gather(resized, 3, CHANNELS));
        String planar = ops.transpose(rgb, 0, 3, 1, 2);
        String normalized = ops.div(ops.sub(ops.divideBy(planar, 255f), ops.perChannel(floats(preprocessing.mean()))),
                ops.perChannel(floats(preprocessing.std())));
        ops.identity(normalized, ServedGraph.INPUT);
    }

    private static String resize(OnnxOps ops, String x, long axis, long side) {
        return ops.resizeAntialiased(x, new long[] {axis}, new long[] {side});
    }

    private static void addInputs(GraphProto.Builder g) {
        g.addInput(ServedGraph.value(FRAME, TensorProto.DataType.UINT8, "batch", "height", "width", "channels"));
        g.addInput(ServedGraph.value(CHANNELS, TensorProto.DataType.INT64, "3"));
    }

    private static float[] floats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }
}
