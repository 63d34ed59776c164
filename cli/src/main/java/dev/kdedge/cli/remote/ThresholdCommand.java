package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.MoveThresholdRequest;
import dev.kdedge.api.v1.ResetThresholdRequest;
import io.grpc.ManagedChannel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "threshold", mixinStandardHelpOptions = true,
        description = {"Serve the active version's model at another threshold from now on, or at the one its fit set: "
                + "a new version with the same graphs, promoted (rollback undoes it)."})
final class ThresholdCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    static final class Change {
        @Option(names = "--set", required = true, description = "The raw score at and above which a part is NOT_OK.")
        Double threshold;

        @Option(names = "--reset", required = true, description = "Back to the threshold the version's fit set.")
        boolean reset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Change change;

    @Override
    int run(ManagedChannel channel) {
        StatusCommand.print(change.reset
                ? models(channel).resetThreshold(ResetThresholdRequest.newBuilder().setProduct(product).build())
                : models(channel).moveThreshold(MoveThresholdRequest.newBuilder().setProduct(product)
                        .setThreshold(change.threshold).build()));
        return 0;
    }
}
