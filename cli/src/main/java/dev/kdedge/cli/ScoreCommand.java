package dev.kdedge.cli;

import dev.kdedge.api.v1.HeatmapOptions;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.api.v1.ScoreResponse;
import dev.kdedge.api.v1.Verdict;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score one image on a running node and print the verdict; optionally save the heatmap.")
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    NodeTarget target = new NodeTarget();

    @Option(names = "--image", required = true, description = "PNG or JPEG file.")
    Path image;

    @Option(names = "--heatmap", description = "Write the heatmap (PNG overlay on the image) to this file.")
    Path heatmap;

    @Option(names = "--deadline-ms", defaultValue = "5000", description = "Call deadline (default: ${DEFAULT-VALUE} ms).")
    long deadlineMs;

    @Override
    public Integer call() throws Exception {
        ManagedChannel channel = target.channel();
        try {
            ScoreRequest.Builder request = target.scoreRequest(image);
            if (heatmap != null) {
                request.setHeatmap(HeatmapOptions.newBuilder().setFormat(HeatmapOptions.Format.PNG_OVERLAY));
            }
            ScoreResponse response = InspectionGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).score(request.build());
            Verdict v = response.getVerdict();
            System.out.printf("%s: %s  score %.6g (normalized %.3f, threshold %.6g)  %s@%s  %.1f ms%n", image,
                    v.getIsAnomalous() ? "DEFECT" : "OK", v.getRawScore(), v.getNormalizedScore(), v.getThreshold(),
                    v.getProduct(), v.getModelVersion(), v.getTimings().getTotalMs());
            if (heatmap != null) {
                Files.write(heatmap, response.getHeatmap().getData().toByteArray());
                System.out.println("heatmap: " + heatmap);
            }
            return v.getIsAnomalous() ? 2 : 0;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
