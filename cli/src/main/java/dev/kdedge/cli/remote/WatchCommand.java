package dev.kdedge.cli.remote;

import io.grpc.ManagedChannel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Follow a job until it ends; exit status 0 when it wrote a version.")
final class WatchCommand extends RemoteCall {
    @Option(names = "--job", required = true, description = "Job id.")
    String job;

    @Override
    int run(ManagedChannel channel) {
        return JobFollower.follow(channel, job);
    }
}
