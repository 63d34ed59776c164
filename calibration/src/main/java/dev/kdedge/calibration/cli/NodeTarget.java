package dev.kdedge.calibration.cli;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ScoreRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The node and product a remote command talks to (a picocli mixin), and the requests it sends there. */
final class NodeTarget {
    @Option(names = "--node", defaultValue = "localhost:50051", description = "Node address (default: ${DEFAULT-VALUE}).")
    String node;

    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    /** A plaintext channel to the node; the caller shuts it down. */
    ManagedChannel channel() {
        return channel(node);
    }

    static ManagedChannel channel(String address) {
        return ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    }

    /** A Score request for this product carrying {@code file} as an encoded image. */
    ScoreRequest.Builder scoreRequest(Path file) throws IOException {
        return ScoreRequest.newBuilder().setProduct(product)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(Files.readAllBytes(file))));
    }
}
