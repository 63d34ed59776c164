package dev.kdedge.cli.remote;

import dev.kdedge.api.v1.ModelsGrpc;
import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Mixin;

/**
 * A remote subcommand: one channel to the node for the call, closed after it; a refusal by the node is printed as
 * its status and reason, and the exit status is 1.
 */
abstract class RemoteCall implements Callable<Integer> {
    static final long DEADLINE_SECONDS = 120;

    @Mixin
    NodeAddress address = new NodeAddress();

    /** @return the exit status */
    abstract int run(ManagedChannel channel) throws Exception;

    static ModelsGrpc.ModelsBlockingStub models(ManagedChannel channel) {
        return ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public final Integer call() throws Exception {
        ManagedChannel channel = address.channel();
        try {
            return run(channel);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
