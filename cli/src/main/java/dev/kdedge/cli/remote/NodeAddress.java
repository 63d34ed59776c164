package dev.kdedge.cli.remote;

import io.grpc.ManagedChannel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The node a remote command talks to, and how (a picocli mixin). */
public final class NodeAddress {
    @Option(names = "--node", defaultValue = "localhost:50051", description = "Node address (default: ${DEFAULT-VALUE}).")
    public String node;

    @Mixin
    public ClientTls tls = new ClientTls();

    /** A channel to the node; the caller shuts it down. */
    public ManagedChannel channel() {
        return tls.channel(node);
    }
}
