package dev.kdedge.calibration.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import picocli.CommandLine.Option;

/** The node a remote command talks to (a picocli mixin). */
public final class NodeAddress {
    @Option(names = "--node", defaultValue = "localhost:50051", description = "Node address (default: ${DEFAULT-VALUE}).")
    public String node;

    /** A plaintext channel to the node; the caller shuts it down. */
    public ManagedChannel channel() {
        return channel(node);
    }

    static ManagedChannel channel(String address) {
        return ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    }
}
