package dev.kdedge.cli;

import com.google.protobuf.ByteString;
import dev.kdedge.api.v1.Image;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.cli.remote.NodeAddress;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The node and product a remote command talks to (a picocli mixin), and the requests it sends there. */
public final class NodeTarget {
    @Mixin
    public NodeAddress address = new NodeAddress();

    @Option(names = "--product", required = true, description = "Product id.")
    public String product;

    /** A channel to the node; the caller shuts it down. */
    public ManagedChannel channel() {
        return address.channel();
    }

    /** A Score request for this product carrying {@code file} as an encoded image. */
    public ScoreRequest.Builder scoreRequest(Path file) throws IOException {
        return ScoreRequest.newBuilder().setProduct(product)
                .setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(Files.readAllBytes(file))));
    }
}
