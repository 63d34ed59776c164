package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.Job;
import dev.kdedge.api.v1.StartFineTuneRequest;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fine-tune", mixinStandardHelpOptions = true,
        description = {"Fine-tune a product's student on its uploaded normal images, on the node, while it keeps "
                + "scoring. Writes a new version that is not active until promoted.",
                "Follows the job until it ends unless --detach is given; exit status 0 when a version was written."})
final class FineTuneCommand extends RemoteCall {
    @Option(names = "--product", required = true, description = "Product id.")
    String product;

    @Option(names = "--epochs", description = "1..200 (node default: 10).")
    int epochs;

    @Option(names = "--from-scratch", description = "Train from random initialization instead of the active student.")
    boolean fromScratch;

    @Option(names = "--holdout-fraction", description = "Share of the normals kept to fit the threshold, 0.05..0.5 (node default: 0.2).")
    double holdoutFraction;

    @Option(names = "--learning-rate", description = "1e-6..1 (node default: the method's, a tenth of it from the active student).")
    double learningRate;

    @Option(names = "--detach", description = "Print the job id and return at once.")
    boolean detach;

    @Override
    int run(ManagedChannel channel) {
        Job job = models(channel).startFineTune(StartFineTuneRequest.newBuilder().setProduct(product)
                .setFromScratch(fromScratch).setEpochs(epochs).setHoldoutFraction(holdoutFraction)
                .setLearningRate(learningRate).build());
        System.out.println("job " + job.getJobId());
        return detach ? 0 : JobFollower.follow(channel, job.getJobId());
    }
}
