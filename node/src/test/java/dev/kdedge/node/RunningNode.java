package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.metrics.NodeMetrics;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A node started in the test JVM on a free port, with a grpc-java channel to it. Closing it fails the test if an event
 * loop was blocked (see {@link WatchedEventLoops}) or an exception went unhandled on one while it ran.
 */
final class RunningNode implements AutoCloseable {
    private final WatchedEventLoops eventLoops;
    final Vertx vertx;
    final NodeServer server;
    final ManagedChannel channel;
    /** What the node logs as an unhandled exception on the event loop: each one a bug of the node. */
    final List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    private final Path journalDir;

    RunningNode(Path store, Consumer<NodeConfig> tweak) throws Exception {
        this(store, tweak, null);
    }

    /** @param trustedCa the CA that signed the tls section's certificate, for a node serving TLS; else null */
    RunningNode(Path store, Consumer<NodeConfig> tweak, Path trustedCa) throws Exception {
        NodeConfig config = new NodeConfig();
        config.store = store.toString();
        config.server.host = "127.0.0.1";
        config.server.port = 0;
        config.server.plaintext = true;
        config.metrics.host = "127.0.0.1";
        config.metrics.port = 0;
        // each node records its results apart: the demo store is shared by every test
        journalDir = Files.createTempDirectory("kdedge-journal");
        config.journal.path = journalDir.resolve("results.db").toString();
        tweak.accept(config);
        NodeMetrics metrics = NodeMetrics.of(config.metrics);
        eventLoops = new WatchedEventLoops(metrics::vertx);
        vertx = eventLoops.vertx;
        server = NodeServer.start(vertx, config.validate(), metrics).await();
        Handler<Throwable> nodeHandler = vertx.exceptionHandler();
        vertx.exceptionHandler(e -> {
            if (!NodeServer.isVertxPausingAnEndedRequest(e)) {
                unhandled.add(e);
            }
            nodeHandler.handle(e);
        });
        channel = (trustedCa == null ? ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                : Grpc.newChannelBuilderForAddress("localhost", server.port(), TlsChannelCredentials.newBuilder()
                        .trustManager(trustedCa.toFile()).build())).maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    /** The node's results journal: its SQLite file. */
    Path journalFile() {
        return journalDir.resolve("results.db");
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        vertx.close().await();
        try (Stream<Path> files = Files.walk(journalDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        assertEquals(List.of(), eventLoops.blocked(), "the node blocked an event loop");
        assertEquals(List.of(), unhandled, "exceptions went unhandled on the node's event loop");
    }
}
