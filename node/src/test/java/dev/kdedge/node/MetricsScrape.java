package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

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

    /**
     * Waits until the series (name and labels as the page writes them, e.g. {@code cache_size{cache="engines"}})
     * reads {@code expected}: gauges of what the node does in the background (evictions) catch up within seconds.
     */
    static void awaitValue(RunningNode node, String series, double expected) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double last = Double.NaN;
        while (System.nanoTime() < until) {
            last = value(of(node), series);
            if (last == expected) {
                return;
            }
            Thread.sleep(100);
        }
        assertEquals(expected, last, series);
    }

    /** The value of {@code series} on a scraped page; NaN when it is not there. */
    static double value(String page, String series) {
        return page.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim())).orElse(Double.NaN);
    }
}
