package dev.kdedge.cli.remote;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.ModelsGrpc;
import dev.kdedge.api.v1.SetDontCareRegionRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "dont-care", mixinStandardHelpOptions = true,
        description = {"Serve the active version's student with another don't-care region from now on: a new version, "
                + "no training, the threshold as served, its INT8 variants made again from the product's uploaded "
                + "normals, promoted (rollback undoes it)."})
final class DontCareCommand extends RemoteCall {
    /** Scoring and quantizing the normals takes tens of seconds on a device; the node answers when it is done. */
    private static final long DEADLINE_MINUTES = 10;

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    static final class Region {
        @Option(names = "--region", required = true, paramLabel = "PNG|JSON",
                description = "A mask drawn on a camera frame (PNG, white where nothing may count), or a .json file "
                        + "of polygons in the frame's pixel coordinates, as fit --dont-care takes them.")
        Path file;

        @Option(names = "--everywhere", required = true, description = "No region: every pixel counts.")
        boolean everywhere;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Region region;

    @Override
    int run(ManagedChannel channel) throws Exception {
        SetDontCareRegionRequest.Builder request = SetDontCareRegionRequest.newBuilder().setProduct(product);
        if (region.everywhere) {
            request.setEverywhere(true);
        } else if (region.file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            request.setPolygonsJson(Files.readString(region.file));
        } else {
            request.setPng(ByteString.copyFrom(Files.readAllBytes(region.file)));
        }
        StatusCommand.print(ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MINUTES, TimeUnit.MINUTES)
                .setDontCareRegion(request.build()));
        return 0;
    }
}
