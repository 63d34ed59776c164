package dev.kdedge.node;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A browser's side of the web console without the page: the JDK's HTTP client with a cookie jar, sending the CSRF
 * token from its cookie with every change, as the page's script does.
 */
final class ConsoleClient {
    private final HttpClient http;
    private final CookieManager cookies = new CookieManager();
    private final URI base;

    /** A response: its status, the JSON it carried (or null), and the whole response. */
    record Reply(int status, Object json, HttpResponse<byte[]> response) {
        JsonObject object() {
            return (JsonObject) json;
        }

        JsonArray array() {
            return (JsonArray) json;
        }

        String error() {
            return json instanceof JsonObject o ? o.getString("error") : null;
        }
    }

    /** @param trustedCa the CA of the node's certificate, for https; null for http */
    ConsoleClient(int port, Path trustedCa) throws Exception {
        HttpClient.Builder builder = HttpClient.newBuilder().cookieHandler(cookies)
                .connectTimeout(Duration.ofSeconds(10));
        if (trustedCa != null) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(trustedCa)) {
                trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, factory.getTrustManagers(), null);
            builder.sslContext(tls);
        }
        http = builder.build();
        base = URI.create((trustedCa != null ? "https" : "http") + "://localhost:" + port);
    }

    /**
     * Loads the page (which sets the CSRF cookie), signs in and, as the page does, reads the session back: signing in
     * gives a new session, whose CSRF token that read sets.
     */
    Reply signIn(String account, String password) throws Exception {
        get("/");
        Reply reply = post("/api/session", new JsonObject().put("account", account).put("password", password));
        if (reply.status() == 200) {
            get("/api/session");
        }
        return reply;
    }

    Reply get(String path) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    Reply post(String path, JsonObject body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("content-type", "application/json")
                .header("X-XSRF-TOKEN", csrfToken()).POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    /** A file sent as the request's whole body, as the page uploads an image. */
    Reply postBytes(String path, String contentType, byte[] body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("content-type", contentType)
                .header("X-XSRF-TOKEN", csrfToken()).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Reply delete(String path) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("X-XSRF-TOKEN", csrfToken()).DELETE());
    }

    /** A change sent without the page's token, as another site's form would send it. */
    Reply postWithoutToken(String path, JsonObject body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    String csrfToken() {
        return cookies.getCookieStore().get(base).stream().filter(c -> c.getName().equals("XSRF-TOKEN"))
                .map(HttpCookie::getValue).findFirst().orElse("");
    }

    private Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<byte[]> response = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        String type = response.headers().firstValue("content-type").orElse("");
        Object json = null;
        if (type.startsWith("application/json") && response.body().length > 0) {
            String text = new String(response.body());
            json = text.startsWith("[") ? new JsonArray(text) : new JsonObject(text);
        }
        return new Reply(response.statusCode(), json, response);
    }
}
