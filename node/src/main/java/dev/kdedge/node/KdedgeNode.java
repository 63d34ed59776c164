package dev.kdedge.node;

import dev.kdedge.node.config.NodeConfig;
import dev.kdedge.node.metrics.NodeMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kdedge-node}: serves every product in the model store over gRPC until stopped. */
@Command(name = "kdedge-node", mixinStandardHelpOptions = true, version = "kdedge-node 0.1.0",
        description = "Serve KD-Edge products over gRPC.", subcommands = HashPasswordCommand.class)
public final class KdedgeNode implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(KdedgeNode.class);

    @Option(names = "--config", defaultValue = "edge-config/node.yaml",
            description = "Node configuration (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--store", description = "Model store directory; overrides the configuration's store.")
    Path store;

    @Option(names = "--port", description = "gRPC port; overrides the configuration's server.port.")
    Integer port;

    @Option(names = "--plaintext", description = "Serve without TLS whatever the configuration's tls section says "
            + "(a demo on a trusted machine).")
    boolean plaintext;

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new KdedgeNode()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("kdedge-node: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig nodeConfig = NodeConfig.load(config);
        if (store != null) {
            nodeConfig.store = store.toString();
        }
        if (port != null) {
            nodeConfig.server.port = port;
        }
        if (plaintext) {
            nodeConfig.tls = null;
            nodeConfig.server.plaintext = true;
        }
        nodeConfig.validate();
        NodeMetrics metrics = NodeMetrics.of(nodeConfig.metrics);
        Vertx vertx = metrics.vertx(new VertxOptions());
        NodeServer node;
        try {
            node = NodeServer.start(vertx, nodeConfig, metrics).await();
        } catch (Exception e) {
            vertx.close().await();
            throw e;
        }
        LOG.info("kdedge-node serving {} products from {} on port {} ({})", node.store().products().size(),
                node.store().root(), node.port(), nodeConfig.tls == null ? "plaintext"
                        : nodeConfig.tls.clientCa == null ? "TLS" : "mutual TLS");
        node.metricsPort().ifPresent(port -> LOG.info("Prometheus metrics on port {} (/metrics)", port));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                vertx.close().await();
            } catch (Exception e) {
                LOG.warn("unclean shutdown", e);
            } finally {
                stopped.countDown();
            }
        }, "kdedge-shutdown"));
        stopped.await();
        return 0;
    }
}
