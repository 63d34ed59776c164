package dev.kdedge.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The node's {@code /metrics} page, fetched as a Prometheus server fetches it (HTTP/1.1). */
final class MetricsScrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private MetricsScrape() {}

    static String of(RunningNode node) throws Exception {
        URI metrics = URI.create("http://127.0.0.1:" + node.server.metricsPort().orElseThrow() + "/metrics");
        return HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
