package dev.kdedge.node;

import dev.kdedge.node.config.NodeConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A node started in the test JVM on a free port, with a grpc-java channel to it. */
final class RunningNode implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final NodeServer server;
    final ManagedChannel channel;

    RunningNode(Path store, Consumer<NodeConfig> tweak) throws Exception {
        NodeConfig config = new NodeConfig();
        config.store = store.toString();
        config.server.host = "127.0.0.1";
        config.server.port = 0;
        tweak.accept(config);
        server = NodeServer.start(vertx, config.validate()).await();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        vertx.close().await();
    }
}
