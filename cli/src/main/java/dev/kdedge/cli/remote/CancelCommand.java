package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.CancelJobRequest;
import dev.kdedge.api.v1.Job;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cancel", mixinStandardHelpOptions = true,
        description = "Cancel a job: a queued one at once, a running one at its next training step.")
final class CancelCommand extends RemoteCall {
    @Option(names = "--job", required = true, description = "Job id.")
    String job;

    @Override
    int run(ManagedChannel channel) {
        Job cancelled = models(channel).cancelJob(CancelJobRequest.newBuilder().setJobId(job).build());
        System.out.println("job " + job + ": " + cancelled.getState());
        return 0;
    }
}
