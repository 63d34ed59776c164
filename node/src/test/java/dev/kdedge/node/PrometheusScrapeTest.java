package dev.kdedge.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kdedge.api.v1.FrameRequest;
import dev.kdedge.api.v1.FrameResult;
import dev.kdedge.api.v1.InspectionGrpc;
import dev.kdedge.api.v1.ScoreRequest;
import dev.kdedge.calibration.demo.DemoFixture;
import dev.kdedge.node.config.NodeConfig;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's prometheus package) scrapes a node every second while it scores, and the figures
 * are read back through Prometheus's HTTP query API, with the queries the README shows. Without the package the test
 * is skipped on a developer's machine and fails under CI, where .ci/run installs it.
 */
class PrometheusScrapeTest {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int prometheusPort;

    @Test
    void prometheusScrapesWhatTheNodeDid() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus package is not installed");
        }
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {})) {
            int metricsPort = node.server.metricsPort().orElseThrow();
            Process prometheus = startPrometheus(metricsPort);
            try {
                awaitReady();
                InspectionGrpc.InspectionBlockingStub inspection = InspectionGrpc.newBlockingStub(node.channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS);
                ScoreRequest good = DemoRequests.scoreRequest(DemoFixture.sampleGood());
                ScoreRequest defect = DemoRequests.scoreRequest(DemoFixture.sampleDefect());
                for (int i = 0; i < 3; i++) {
                    inspection.score(good);
                }
                inspection.score(defect);
                // Counters seen once before the rest arrive give rate() two points to work with.
                awaitValue("sum(kdedge_verdicts_total{product=\"demo\"})", 4);
                for (int i = 0; i < 3; i++) {
                    inspection.score(good);
                }
                inspection.score(defect.toBuilder().setStation("press-3").build());
                assertThrows(StatusRuntimeException.class,
                        () -> inspection.score(good.toBuilder().setProduct("no-such-product").build()));
                stream(node, good, 3);

                awaitValue("sum(kdedge_verdicts_total{product=\"demo\"})", 11);
                assertEquals(9, value("sum(kdedge_verdicts_total{product=\"demo\",verdict=\"ok\"})"));
                assertEquals(2, value("sum(kdedge_verdicts_total{product=\"demo\",verdict=\"defect\"})"));
                assertEquals(3, value("sum(kdedge_request_duration_seconds_count{rpc=\"InspectStream\"})"));
                awaitValue("sum(kdedge_calls_failed_total{rpc=\"Score\",status=\"NOT_FOUND\"})", 1);
                assertEquals(11, value("sum(kdedge_stage_duration_seconds_count{stage=\"inference\"})"));
                assertEquals(9, value("sum(kdedge_score_normalized_bucket{product=\"demo\",le=\"0.5\"})"));

                // The README's queries: reject rate and p99 latency per product.
                double rejectRate = value("sum by (product) (rate(kdedge_verdicts_total{verdict=\"defect\"}[1h]))"
                        + " / sum by (product) (rate(kdedge_verdicts_total[1h]))");
                assertTrue(rejectRate > 0 && rejectRate < 1, "reject rate " + rejectRate);
                double p99 = value("histogram_quantile(0.99, sum by (product, le) "
                        + "(rate(kdedge_request_duration_seconds_bucket[1h])))");
                assertTrue(p99 > 0 && p99 < 10, "p99 " + p99);

                // Every frame of a product seen by one camera is a part; stations as the requests named them.
                assertEquals(11, value("sum(kdedge_parts_total{product=\"demo\"})"));
                assertEquals(1, value("sum(kdedge_parts_total{station=\"press-3\",evaluation=\"not_ok\"})"));
                assertEquals(9, value("sum(kdedge_parts_total{station=\"\",evaluation=\"ok\"})"));
                assertAtLeast(1, "sum(kdedge_journal_lag_seconds_count)");
                assertAtLeast(4096, "kdedge_journal_bytes");
                assertAtLeast(1, "kdedge_engines_bytes");
                assertEquals(1, value("cache_load_total{cache=\"engines\",result=\"success\"}"));
                assertAtLeast(1, "cache_gets_total{cache=\"engines\",result=\"hit\"}");
                assertEquals(1, value("cache_size{cache=\"engines\"}"));
                assertEquals(0, value("executor_queued_tasks{name=\"scoring\"}"));
                assertEquals(0, value("kdedge_finetune_jobs{state=\"running\"}"));
                assertAtLeast(50e6, "process_resident_memory_bytes");
                assertAtLeast(1, "sum(jvm_memory_used_bytes{area=\"heap\"})");
                assertAtLeast(10, "sum(vertx_http_server_requests_total{code=\"200\"})");
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * With {@code metrics.tls}, Prometheus scrapes over HTTPS with a scraper certificate the configured CA signed (as
     * the README's Prometheus section shows), while a client without one, and plain HTTP, get nothing.
     */
    @Test
    void prometheusScrapesOverTlsWithAScraperCertificateAndNobodyElseReadsTheMetrics() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus package is not installed");
        }
        TestPki.Authority plantCa = new TestPki.Authority("Plant 7 CA");
        TestPki.Authority scraperCa = new TestPki.Authority("Monitoring CA");
        Path plantCaFile = plantCa.writeCertificate(dir.resolve("plant-ca.crt"));
        TestPki.PemFiles server = plantCa.server().written(dir, "node");
        TestPki.PemFiles scraper = scraperCa.client("prometheus").written(dir, "scraper");
        Path scraperCaFile = scraperCa.writeCertificate(dir.resolve("scraper-ca.crt"));
        try (RunningNode node = new RunningNode(DemoFixture.store(), c -> {
            c.metrics.tls = new NodeConfig.Tls();
            c.metrics.tls.certificate = server.certificate().toString();
            c.metrics.tls.key = server.key().toString();
            c.metrics.tls.clientCa = scraperCaFile.toString();
        })) {
            int metricsPort = node.server.metricsPort().orElseThrow();
            Process prometheus = startPrometheus(metricsPort, """
                        scheme: https
                        tls_config:
                          ca_file: %s
                          cert_file: %s
                          key_file: %s
                    """.formatted(plantCaFile, scraper.certificate(), scraper.key()));
            try {
                awaitReady();
                InspectionGrpc.newBlockingStub(node.channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .score(DemoRequests.scoreRequest(DemoFixture.sampleGood()));
                awaitValue("sum(kdedge_verdicts_total{product=\"demo\"})", 1);
                assertEquals(1, value("up{job=\"kdedge\"}"));
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
            HttpClient withoutCertificate = HttpClient.newBuilder().sslContext(trusting(plantCaFile))
                    .connectTimeout(Duration.ofSeconds(5)).build();
            assertThrows(IOException.class, () -> withoutCertificate.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()));
            assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
    }

    /** TLS that trusts {@code ca} and presents no certificate of its own. */
    private static SSLContext trusting(Path ca) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(ca)) {
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private Process startPrometheus(int metricsPort) throws IOException {
        return startPrometheus(metricsPort, "");
    }

    /** Prometheus scraping the node every second, with {@code scrapeSettings} added to its scrape job. */
    private Process startPrometheus(int metricsPort, String scrapeSettings) throws IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            prometheusPort = free.getLocalPort();
        }
        Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: kdedge
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                %s""".formatted(metricsPort, scrapeSettings));
        return new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    private void awaitReady() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/-/ready"))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            assertTrue(System.nanoTime() < until, "prometheus did not start: "
                    + Files.readString(dir.resolve("prometheus.log")));
            Thread.sleep(200);
        }
    }

    /** Waits until {@code query} reads {@code expected}: a scrape every second, so within seconds. */
    private void awaitValue(String query, double expected) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double last = Double.NaN;
        while (System.nanoTime() < until) {
            last = valueOrNaN(query);
            if (last == expected) {
                return;
            }
            Thread.sleep(250);
        }
        assertEquals(expected, last, query);
    }

    private void assertAtLeast(double least, String query) throws Exception {
        double value = value(query);
        assertTrue(value >= least, query + " = " + value + ", expected at least " + least);
    }

    private double value(String query) throws Exception {
        double value = valueOrNaN(query);
        assertTrue(!Double.isNaN(value), "no value for " + query);
        return value;
    }

    /** The single value an instant query returns, NaN when it returns none. */
    private double valueOrNaN(String query) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + prometheusPort + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("success", body.path("status").asText(), query + ": " + response.body());
        JsonNode result = body.path("data").path("result");
        if (result.isEmpty()) {
            return Double.NaN;
        }
        assertEquals(1, result.size(), query + ": " + result);
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    private static void stream(RunningNode node, ScoreRequest request, int frames) throws Exception {
        CountDownLatch results = new CountDownLatch(frames);
        StreamObserver<FrameRequest> camera = InspectionGrpc.newStub(node.channel).inspectStream(
                new StreamObserver<>() {
                    public void onNext(FrameResult result) {
                        results.countDown();
                    }

                    public void onError(Throwable t) {}

                    public void onCompleted() {}
                });
        for (int i = 0; i < frames; i++) {
            camera.onNext(FrameRequest.newBuilder().setFrameId(i).setRequest(request).build());
        }
        camera.onCompleted();
        assertTrue(results.await(60, TimeUnit.SECONDS), "the stream's results did not come");
    }
}
