package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.PromoteRequest;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Make a version the active one; the node loads it first, then serves it from the next request.")
final class PromoteCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--version", required = true, description = "Version to make active.")
    int version;

    @Override
    int run(ManagedChannel channel) {
        int servedBefore = StatusCommand.activeVersion(channel, product);
        StatusCommand.printChange(servedBefore, models(channel).promote(PromoteRequest.newBuilder()
                .setProduct(product).setVersion(version).build()));
        return 0;
    }
}
