package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.RollbackRequest;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Make the version that was active before the current one active again.")
final class RollbackCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Override
    int run(ManagedChannel channel) {
        int servedBefore = StatusCommand.activeVersion(channel, product);
        StatusCommand.printChange(servedBefore, models(channel).rollback(RollbackRequest.newBuilder()
                .setProduct(product).build()));
        return 0;
    }
}
