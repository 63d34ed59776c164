package dev.kdedge.node.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kdedge.calibration.engine.ExecutionProvider;
import dev.kdedge.calibration.engine.InferenceOptions;
import dev.kdedge.calibration.precision.Precision;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.text.Echo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The node's configuration ({@code edge-config/node.yaml}). Every default lives here; {@link #validate()} checks every
 * setting at start and names each one that is wrong.
 */
public final class NodeConfig {
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
    @JsonProperty public Server server = new Server();
    @JsonProperty public String store = "/var/lib/kdedge/store";
    @JsonProperty public Cache cache = new Cache();
    @JsonProperty public Scoring scoring = new Scoring();
    @JsonProperty public Models models = new Models();
    /** The node's certificate and the clients' CA; absent means plaintext, which {@code server.plaintext} must allow. */
    @JsonProperty public Tls tls;
    @JsonProperty public Access access = new Access();
    @JsonProperty public Metrics metrics = new Metrics();
    @JsonProperty public Precisions precision = new Precisions();
    @JsonProperty public Inference inference = new Inference();
    @JsonProperty public Journal journal = new Journal();
    @JsonProperty public Parts parts = new Parts();
    @JsonProperty public Line line = new Line();
    @JsonProperty public OpcUa opcua = new OpcUa();
    @JsonProperty public Console console = new Console();
    @JsonProperty public Drift drift = new Drift();
    @JsonProperty public Shadow shadow = new Shadow();

    public static final class Server {
        @JsonProperty public String host = "0.0.0.0";
        @JsonProperty public int port = 50051;
        /** Largest gRPC message accepted, in bytes; a larger one is answered RESOURCE_EXHAUSTED. */
        @JsonProperty public long maxMessageBytes = 16L * 1024 * 1024;
        /** HTTP/2 streams (calls in progress) one connection may have open at once. */
        @JsonProperty public int maxConcurrentStreams = 100;
        /**
         * The HTTP/2 connection window: bytes of all a connection's calls a client may send before the node has read
         * them. HTTP/2's default, 64 KiB, makes a large frame cross in one round trip per window (a 12 MB raw frame
         * in about 190).
         */
        @JsonProperty public int connectionWindowBytes = 16 * 1024 * 1024;
        /**
         * Stream resets (cancelled calls) one connection may send within {@code resetWindowSeconds}; beyond, the node
         * closes it (GOAWAY ENHANCE_YOUR_CALM) and logs why. The same number holds per client across its connections
         * (its certificate's subject with mutual TLS, its address otherwise): past it, its connection is closed and
         * every call it makes for one window is answered UNAVAILABLE. The HTTP/2 "rapid reset" attack sends thousands a second; 300
         * in 30 s lets a client cancel ten calls a second for good.
         */
        @JsonProperty public int maxResetsPerWindow = 300;
        @JsonProperty public int resetWindowSeconds = 30;
        /**
         * On SIGTERM, how long calls in flight may take to finish once health says NOT_SERVING and no new call is
         * taken; within systemd's TimeoutStopSec (40 s in the shipped unit).
         */
        @JsonProperty public int shutdownGraceSeconds = 20;
        /**
         * A connection on which nothing was sent or received for this long is closed (a client that merely holds it
         * holds a file descriptor); gRPC clients reconnect on their next call. 0 keeps idle connections open.
         */
        @JsonProperty public int idleTimeoutSeconds = 600;
        /** Serve without TLS. Never implied: a node without a {@code tls} section refuses to start unless this is set. */
        @JsonProperty public boolean plaintext = false;
        /**
         * Where camera processes on this machine put raw frames they name in a request instead of sending them
         * ({@code SharedFrame}); an absolute path to a directory, best on a memory file system (/dev/shm, /run).
         * Empty: frames are only taken in messages.
         */
        @JsonProperty public String sharedFrameDir = "";
    }

    /** PEM files, read again every {@code reloadSeconds} and applied to new connections when they change. */
    public static final class Tls {
        /** The node's certificate chain, leaf first. */
        @JsonProperty public String certificate;
        /** The node's private key (PKCS#8, or PKCS#1 for RSA). */
        @JsonProperty public String key;
        /** CAs whose client certificates are accepted; set, it makes TLS mutual and enables {@link Access} roles. */
        @JsonProperty public String clientCa;
        @JsonProperty public int reloadSeconds = 30;
    }

    /** Which client may call what, from its certificate; applies with mutual TLS only. */
    public static final class Access {
        /** The certificate fields a role may be read from. */
        public enum RoleField { OU, CN, SAN_DNS, SAN_URI }

        /** The certificate field a role is read from: OU, CN, SAN_DNS or SAN_URI. */
        @JsonProperty public String roleFrom = "OU";
        /** Role name (camera, engineer, observer, line) to the values of {@code roleFrom} that grant it. */
        @JsonProperty public Map<String, List<String>> roles = Map.of("camera", List.of("camera"),
                "engineer", List.of("engineer"), "observer", List.of("observer"), "line", List.of("line"));
        /** Roles that may list and describe products, watch jobs, check health and use server reflection. */
        @JsonProperty public List<String> reads = List.of("camera", "engineer", "observer", "line");

        /** @throws IllegalArgumentException naming the setting that is wrong */
        public RoleField roleField() {
            try {
                return RoleField.valueOf(String.valueOf(roleFrom));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("access.roleFrom must be OU, CN, SAN_DNS or SAN_URI, not "
                        + Echo.quoted(roleFrom));
            }
        }

        /**
         * Each value of {@code roleFrom} to the roles it grants.
         *
         * @throws IllegalArgumentException naming a role that does not exist
         */
        public Map<String, Set<Role>> rolesByValue() {
            Map<String, Set<Role>> rolesByValue = new HashMap<>();
            Objects.requireNonNullElse(roles, Map.<String, List<String>>of()).forEach((role, values) ->
                    Objects.requireNonNullElse(values, List.<String>of()).forEach(value -> rolesByValue
                            .computeIfAbsent(value, v -> EnumSet.noneOf(Role.class)).add(named(role))));
            return rolesByValue;
        }

        /** @throws IllegalArgumentException naming a role that does not exist */
        public Set<Role> readRoles() {
            Set<Role> readRoles = EnumSet.noneOf(Role.class);
            Objects.requireNonNullElse(reads, List.<String>of()).forEach(role -> readRoles.add(named(role)));
            return readRoles;
        }

        private static Role named(String role) {
            try {
                return Role.named(role);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("access: " + e.getMessage());
            }
        }
    }

    public static final class Cache {
        /** Bound on loaded engines, weighed by their ONNX file sizes. */
        @JsonProperty public long maxBytes = 512L * 1024 * 1024;
    }

    public static final class Scoring {
        /** Threads that decode, resize, infer and encode. */
        @JsonProperty public int workerThreads = 2;
        /** ONNX Runtime threads per inference; lowest single-call latency when it matches the cores. */
        @JsonProperty public int inferenceThreads = 2;
        /** Requests waiting for a worker; beyond this the node answers RESOURCE_EXHAUSTED. */
        @JsonProperty public int maxQueuedRequests = 32;
        /**
         * Requests of one client (one connection) waiting for a worker: a client that floods the node gets
         * RESOURCE_EXHAUSTED beyond this while others still find room. Its streams' frames wait instead.
         */
        @JsonProperty public int maxQueuedPerClient = 16;
        /** Largest image accepted, in pixels (width x height): a 12-megapixel camera's frame (4096 x 3000). */
        @JsonProperty public long maxImagePixels = 4096L * 3000;
        /**
         * Encoded images declaring more pixels than this are decoded on threads of their own
         * ({@code largeImageThreads}, at most {@code maxQueuedLargeImages} waiting), so a burst of them leaves the
         * workers to ordinary frames. Set it above the camera's frame size when every frame is that large.
         */
        @JsonProperty public long largeImagePixels = 2048L * 2048;
        @JsonProperty public int largeImageThreads = 1;
        @JsonProperty public int maxQueuedLargeImages = 4;
        /** Frames of one InspectStream in the pipeline at once; the node stops reading the stream beyond this. */
        @JsonProperty public int streamWindow = 4;
        @JsonProperty public Batching batching = new Batching();
    }

    /**
     * Frames of the same product version, from any streams and clients, run through the model together. Each version
     * runs at most {@code workerThreads / maxBatch} batches at once; frames arriving meanwhile go together in the
     * next one.
     */
    public static final class Batching {
        /**
         * The most frames one run takes; 1 runs each frame on its own. A worker waits while its frame's batch runs,
         * so batches hold at most {@code scoring.workerThreads} frames: it must be at least this.
         */
        @JsonProperty public int maxBatch = 1;
        /**
         * The longest a frame that could run waits for frames other workers are preparing for the same version; a
         * frame no other is being prepared beside runs at once.
         */
        @JsonProperty public int windowMillis = 5;
    }

    /**
     * The arithmetic products are served in: {@code fp32} (the graph as fitted), {@code int8} (the variant a fit
     * publishes for the node's provider when its scores stay within tolerance; a version without one is served in
     * fp32, with a warning) or {@code fp16} (tensorrt only).
     */
    public static final class Precisions {
        private static final String DEFAULT_SETTING = "precision.default";

        @JsonProperty("default") public String byDefault = "fp32";
        /** Product id to precision, where it differs from the default. */
        @JsonProperty public Map<String, String> products = Map.of();

        /** @throws IllegalArgumentException naming the setting that is not a precision */
        public ProductPrecisions resolve() {
            Map<String, Precision> byProduct = new HashMap<>();
            products.forEach((product, precision) -> byProduct.put(product, named(setting(product), precision)));
            return new ProductPrecisions(named(DEFAULT_SETTING, byDefault), byProduct);
        }

        /** Why {@code provider} cannot serve each precision configured, by the setting that names it. */
        List<String> unservable(ProductPrecisions precisions, ExecutionProvider provider) {
            Map<String, Precision> bySetting = new TreeMap<>();
            bySetting.put(DEFAULT_SETTING, precisions.byDefault());
            precisions.products().forEach((product, precision) -> bySetting.put(setting(product), precision));
            List<String> errors = new ArrayList<>();
            bySetting.forEach((setting, precision) -> provider.cannotRun(precision).ifPresent(why -> errors.add(
                    setting + ": " + why + " (inference.provider)")));
            return errors;
        }

        private static String setting(String product) {
            return "precision.products." + product;
        }

        private static Precision named(String setting, String label) {
            try {
                return Precision.of(label);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Where the served graphs run. {@code cpu} is the ONNX Runtime from Maven; {@code cuda} and {@code tensorrt} need
     * an ONNX Runtime built with them (README, "Serving on the device's GPU"): a node asked for one its ONNX Runtime
     * lacks refuses to start and says so.
     */
    public static final class Inference {
        @JsonProperty public String provider = "cpu";
        /** The CUDA device index. */
        @JsonProperty public int gpu = 0;
        /** Where TensorRT engines are kept between restarts; empty means {@code <store>/engines}. */
        @JsonProperty public String engineCache = "";

        /** @throws IllegalArgumentException naming the setting that is not a provider */
        public ExecutionProvider resolveProvider() {
            try {
                return ExecutionProvider.of(provider);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("inference.provider: " + e.getMessage(), e);
            }
        }
    }

    /**
     * How the served graphs run, from {@code inference} and {@code scoring}: the provider, its engine cache and the
     * batch bound.
     */
    public InferenceOptions inferenceOptions() {
        Path engines = inference.engineCache.isBlank() ? new ModelStore(Path.of(store)).engineCache()
                : Path.of(inference.engineCache);
        return InferenceOptions.cpu(scoring.inferenceThreads)
                .on(inference.resolveProvider(), inference.gpu, Optional.of(engines))
                .withMaxBatch(scoring.batching.maxBatch);
    }

    /** Prometheus metrics on a port of their own ({@code GET /metrics}), over HTTP or, with {@code tls}, HTTPS. */
    public static final class Metrics {
        @JsonProperty public boolean enabled = true;
        /** This machine only by default: the metrics name products, versions and reject rates, without any login. */
        @JsonProperty public String host = "127.0.0.1";
        /** 0 picks a free port. */
        @JsonProperty public int port = 9464;
        /** A scraper that keeps its connection open between scrapes sends something every scrape interval. */
        @JsonProperty public int idleTimeoutSeconds = 120;
        /**
         * Serve the metrics over TLS: the node's certificate and key (those of {@code tls} will do) and, as
         * {@code clientCa}, the CA of the scrapers' certificates; then only a scraper presenting one is answered.
         */
        @JsonProperty public Tls tls;
    }

    /** The results journal: every result the node gives, recorded (SQLite) for the Results service and for later. */
    public static final class Journal {
        @JsonProperty public boolean enabled = true;
        /** The SQLite database file; "" means {@code <store>/journal/results.db}. */
        @JsonProperty public String path = "";
        /** Results kept; beyond, the oldest are removed. */
        @JsonProperty public long maxResults = 1_000_000;
        /** Days a result is kept; 0 keeps each until {@code maxResults} pushes it out. */
        @JsonProperty public int maxAgeDays = 90;
        /**
         * When a reply may go out: "full", once its result is on the disk (a power cut loses no result a client was
         * told of), or "normal", once it is with the operating system (killing the node loses none; a power cut may
         * lose the last moments).
         */
        @JsonProperty public String sync = "full";
        @JsonProperty public Images images = new Images();
    }

    /** Parts seen by several cameras: the views each part of a product needs, and how long to wait for them. */
    public static final class Parts {
        /** Product to the views each of its parts needs (each view's request names the part and the view). */
        @JsonProperty public Map<String, List<String>> views = Map.of();
        /** After a part's first view, how long the others may take before the part is NOT_DECIDABLE. */
        @JsonProperty public long timeoutMillis = 2000;
    }

    /** The line's stations: the recipe (product) each scores, and the results a PLC takes from each. */
    public static final class Line {
        /**
         * Station name to its recipe at start ("" for none yet): a request naming such a station and no product is
         * scored against its recipe, and a PLC switches it between parts.
         */
        @JsonProperty public Map<String, String> stations = Map.of();
        /** A station's results a PLC has not acknowledged; beyond, the oldest is dropped and overrun is set. */
        @JsonProperty public int bufferSize = 8;
    }

    /**
     * The stations' handshake over OPC UA, for PLCs that speak it themselves (README "OPC UA"). Message security with
     * the node's own application certificate; a client's application certificate must be in {@code pki}/trusted/certs
     * (or issued by a CA in {@code pki}/issuer/certs), and its roles are read from it as {@link Access} says.
     */
    public static final class OpcUa {
        @JsonProperty public boolean enabled = false;
        /** Address to listen on. */
        @JsonProperty public String host = "0.0.0.0";
        /** 4840 is OPC UA's registered port. */
        @JsonProperty public int port = 4840;
        /** The host name clients are told to connect to (the endpoint URL); "" means this machine's name. */
        @JsonProperty public String hostname = "";
        /** The node's application certificate (PEM, RSA 2048-4096, SHA-256), whose SubjectAltName URI names it. */
        @JsonProperty public String certificate;
        /** Its private key (PEM: PKCS#8, or PKCS#1). */
        @JsonProperty public String key;
        /** trusted/certs, issuer/certs (and their crl folders) and rejected/certs, made when missing. */
        @JsonProperty public String pki = "/var/lib/kdedge/opcua-pki";
        /**
         * Also offer security None with anonymous sessions, which may do what the line role may: for trying it on a
         * bench, as {@code server.plaintext} is for gRPC. Never on a line.
         */
        @JsonProperty public boolean allowInsecure = false;
        /** Sessions open at once; one more is refused Bad_TooManySessions. */
        @JsonProperty public int maxSessions = 8;
        /** A session's subscriptions; one more is refused Bad_TooManySubscriptions. */
        @JsonProperty public int maxSubscriptionsPerSession = 4;
        /** A session's monitored items; each one more is refused Bad_TooManyMonitoredItems. */
        @JsonProperty public int maxMonitoredItemsPerSession = 256;
        /** The fastest publishing and sampling a client may ask for; faster requests are revised to this. */
        @JsonProperty public double minPublishingIntervalMillis = 10;
    }

    /**
     * The field engineer's web console (README "Web console"): served on a port of its own over the node's TLS
     * certificate, to people who sign in with an account below.
     */
    public static final class Console {
        @JsonProperty public boolean enabled = false;
        /** Address to listen on. */
        @JsonProperty public String host = "0.0.0.0";
        @JsonProperty public int port = 8443;
        /** A signed-in browser idle this long signs in again. */
        @JsonProperty public int sessionMinutes = 30;
        /** Account name to its role and bcrypt password hash ({@code kdedge-node hash-password} makes one). */
        @JsonProperty public Map<String, Account> accounts = Map.of();

        public static final class Account {
            /** engineer (sees and changes) or observer (sees). */
            @JsonProperty public String role;
            @JsonProperty public String passwordHash;
        }
    }

    /**
     * Score drift: per product, the latest OK results of its active version against the held-out normals its fit
     * scored (Kolmogorov-Smirnov), for the console and {@code kdedge_score_drift}.
     */
    public static final class Drift {
        /** The latest OK results compared. */
        @JsonProperty public int window = 200;
        /** Fewer OK results of the active version than this give no reading yet. */
        @JsonProperty public int minResults = 50;
        /** How often the journal is read for it. */
        @JsonProperty public int everySeconds = 30;
    }

    /**
     * Shadows: a candidate version scored beside the active one on a share of the line's frames (started from the
     * console), only when a scoring worker is free.
     */
    public static final class Shadow {
        /** Candidate frames scored at once, node-wide; a frame of the share beyond is skipped. */
        @JsonProperty public int maxInFlight = 1;
        /**
         * The part of the wall clock candidate scoring may take (a free worker is not a free core); a frame of the share
         * beyond is skipped.
         */
        @JsonProperty public double maxBusyShare = 0.2;
        /** Frames judged kept in {@code shadow.db} beside the journal; beyond, the oldest go. */
        @JsonProperty public long maxJudged = 100_000;
    }

    /** The images of the results that matter, kept beside the journal within a disk budget. */
    public static final class Images {
        @JsonProperty public boolean enabled = true;
        /** Where; "" means an {@code images} directory beside the journal's file. */
        @JsonProperty public String dir = "";
        /** One OK result's image in this many is kept (by result id); 0 keeps none. NOT_OK ones are all kept. */
        @JsonProperty public int keepOkOneIn = 100;
        /** What the kept images may take together; beyond, the oldest are removed. */
        @JsonProperty public long maxBytes = 2L * 1024 * 1024 * 1024;
        /** Free space their file system keeps: below it the oldest are removed, or a new one is not kept. */
        @JsonProperty public long minFreeBytes = 1024L * 1024 * 1024;
    }

    /** The engineer's side: uploads, fine-tunes, promote and rollback (the kdedge.v1.Models service). */
    public static final class Models {
        /**
         * Allows the RPCs that change the store, to clients with role engineer when TLS is mutual, to anyone who can
         * reach the port otherwise. A node whose store is not writable refuses them whatever this says.
         */
        @JsonProperty public boolean enabled = false;
        /** PyTorch threads for fine-tuning; the other cores stay with scoring. */
        @JsonProperty public int trainingThreads = 1;
        /** Models calls waiting for the node's two administration threads; beyond this: RESOURCE_EXHAUSTED. */
        @JsonProperty public int maxQueuedRequests = 16;
    }

    public static NodeConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("configuration file not found: " + file);
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            NodeConfig config = yaml.readValue(file.toFile(), NodeConfig.class);
            return config == null ? new NodeConfig() : config;
        } catch (JsonMappingException e) {
            throw new IOException(file + ": " + e.getOriginalMessage() + " at " + e.getPathReference(), e);
        }
    }

    /** @throws IllegalArgumentException listing every invalid setting */
    public NodeConfig validate() {
        List<String> errors = new ArrayList<>();
        check(errors, server.port >= 0 && server.port <= 65535, "server.port must be 0..65535 (0 picks a free port)");
        check(errors, server.maxMessageBytes >= 1024 && server.maxMessageBytes <= 256L * 1024 * 1024,
                "server.maxMessageBytes must be 1 KiB..256 MiB");
        check(errors, server.maxConcurrentStreams >= 1, "server.maxConcurrentStreams must be at least 1");
        check(errors, server.connectionWindowBytes >= 65535 && server.connectionWindowBytes <= 256 * 1024 * 1024,
                "server.connectionWindowBytes must be 65535 (HTTP/2's default) .. 256 MiB");
        check(errors, server.maxResetsPerWindow >= 1, "server.maxResetsPerWindow must be at least 1");
        check(errors, server.resetWindowSeconds >= 1, "server.resetWindowSeconds must be at least 1");
        check(errors, server.shutdownGraceSeconds >= 0 && server.shutdownGraceSeconds <= 300,
                "server.shutdownGraceSeconds must be 0..300");
        check(errors, server.idleTimeoutSeconds >= 0, "server.idleTimeoutSeconds must be 0 or more");
        check(errors, server.sharedFrameDir != null
                && (server.sharedFrameDir.isEmpty() || Path.of(server.sharedFrameDir).isAbsolute()),
                "server.sharedFrameDir must be empty (no shared frames) or an absolute path");
        check(errors, metrics.idleTimeoutSeconds >= 0, "metrics.idleTimeoutSeconds must be 0 or more");
        check(errors, store != null && !store.isBlank(), "store must name the model store directory");
        check(errors, cache.maxBytes >= 1024 * 1024, "cache.maxBytes must be at least 1 MiB");
        check(errors, scoring.workerThreads >= 1 && scoring.workerThreads <= 256, "scoring.workerThreads must be 1..256");
        check(errors, scoring.inferenceThreads >= 1 && scoring.inferenceThreads <= 256,
                "scoring.inferenceThreads must be 1..256");
        check(errors, scoring.maxQueuedRequests >= 1, "scoring.maxQueuedRequests must be at least 1");
        check(errors, scoring.maxQueuedPerClient >= 1 && scoring.maxQueuedPerClient <= scoring.maxQueuedRequests,
                "scoring.maxQueuedPerClient must be 1..scoring.maxQueuedRequests");
        check(errors, scoring.maxImagePixels >= 64 * 64, "scoring.maxImagePixels must be at least 4096");
        check(errors, scoring.largeImagePixels >= 64 * 64, "scoring.largeImagePixels must be at least 4096");
        check(errors, scoring.largeImageThreads >= 1 && scoring.largeImageThreads <= 256,
                "scoring.largeImageThreads must be 1..256");
        check(errors, scoring.maxQueuedLargeImages >= 1, "scoring.maxQueuedLargeImages must be at least 1");
        check(errors, scoring.streamWindow >= 1 && scoring.streamWindow <= 1024, "scoring.streamWindow must be 1..1024");
        check(errors, scoring.batching.maxBatch >= 1 && scoring.batching.maxBatch <= 64,
                "scoring.batching.maxBatch must be 1..64");
        check(errors, scoring.batching.maxBatch <= scoring.workerThreads, "scoring.batching.maxBatch ("
                + scoring.batching.maxBatch + ") must not exceed scoring.workerThreads (" + scoring.workerThreads
                + "): a batch holds at most one frame per worker");
        check(errors, scoring.batching.windowMillis >= 0 && scoring.batching.windowMillis <= 1000,
                "scoring.batching.windowMillis must be 0..1000");
        check(errors, models.trainingThreads >= 1 && models.trainingThreads <= 256, "models.trainingThreads must be 1..256");
        check(errors, models.maxQueuedRequests >= 1, "models.maxQueuedRequests must be at least 1");
        check(errors, metrics.port >= 0 && metrics.port <= 65535, "metrics.port must be 0..65535 (0 picks a free port)");
        check(errors, !metrics.enabled || metrics.port == 0 || metrics.port != server.port,
                "metrics.port must differ from server.port");
        check(errors, tls != null || server.plaintext,
                "tls must name the node's certificate and key (tls.certificate, tls.key), or server.plaintext must be "
                        + "true to serve without TLS");
        check(errors, tls == null || !server.plaintext, "server.plaintext: true and a tls section contradict each other");
        checkTls(errors, tls, "tls");
        checkTls(errors, metrics.tls, "metrics.tls");
        for (Runnable accessCheck : List.<Runnable>of(access::roleField, access::rolesByValue, access::readRoles)) {
            try {
                accessCheck.run();
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        check(errors, line.bufferSize >= 1 && line.bufferSize <= 1024, "line.bufferSize must be 1..1024");
        Objects.requireNonNullElse(line.stations, Map.<String, String>of()).forEach((station, recipe) -> {
            check(errors, !station.isEmpty() && station.length() <= 128
                    && station.chars().allMatch(c -> c >= 0x20 && c != 0x7F),
                    "line.stations: a station's name is 1..128 printable characters, not " + Echo.quoted(station));
            check(errors, recipe == null || recipe.isEmpty() || ModelStore.PRODUCT_ID.matcher(recipe).matches(),
                    "line.stations." + station + ": invalid product id " + Echo.quoted(String.valueOf(recipe)));
        });
        checkOpcUa(errors);
        checkConsole(errors);
        check(errors, drift.window >= 10 && drift.window <= 100_000, "drift.window must be 10..100000");
        check(errors, drift.minResults >= 2 && drift.minResults <= drift.window, "drift.minResults must be 2.."
                + "drift.window");
        check(errors, drift.everySeconds >= 1 && drift.everySeconds <= 86_400, "drift.everySeconds must be 1..86400");
        check(errors, shadow.maxInFlight >= 1 && shadow.maxInFlight <= 64, "shadow.maxInFlight must be 1..64");
        check(errors, shadow.maxBusyShare > 0 && shadow.maxBusyShare <= 1, "shadow.maxBusyShare must be above 0 and "
                + "at most 1");
        check(errors, shadow.maxJudged >= 1000, "shadow.maxJudged must be at least 1000");
        check(errors, journal.maxResults >= 1000, "journal.maxResults must be at least 1000");
        check(errors, journal.maxAgeDays >= 0, "journal.maxAgeDays must be 0 (no limit) or more");
        check(errors, parts.timeoutMillis >= 1 && parts.timeoutMillis <= 600_000,
                "parts.timeoutMillis must be 1..600000");
        Objects.requireNonNullElse(parts.views, Map.<String, List<String>>of()).forEach((product, views) -> check(
                errors, views != null && !views.isEmpty()
                        && views.stream().allMatch(view -> view != null && !view.isEmpty() && view.length() <= 128)
                        && Set.copyOf(views).size() == views.size(),
                "parts.views." + product + " must list distinct view names of 1..128 characters"));
        check(errors, journal.images.keepOkOneIn >= 0, "journal.images.keepOkOneIn must be 0 (none) or more");
        check(errors, journal.images.maxBytes >= 1024 * 1024, "journal.images.maxBytes must be at least 1 MiB");
        check(errors, journal.images.minFreeBytes >= 0, "journal.images.minFreeBytes must be 0 or more");
        check(errors, "full".equals(journal.sync) || "normal".equals(journal.sync),
                "journal.sync must be full or normal, not " + Echo.quoted(journal.sync));
        check(errors, inference.gpu >= 0, "inference.gpu must be a CUDA device index, 0 or more");
        ExecutionProvider provider = null;
        try {
            provider = inference.resolveProvider();
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        try {
            ProductPrecisions precisions = precision.resolve();
            if (provider != null) {
                errors.addAll(precision.unservable(precisions, provider));
            }
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("invalid configuration: " + String.join("; ", errors));
        }
        return this;
    }

    private void checkOpcUa(List<String> errors) {
        if (!opcua.enabled) {
            return;
        }
        check(errors, opcua.certificate != null && opcua.key != null,
                "opcua.certificate and opcua.key must name PEM files (the node's OPC UA application certificate)");
        check(errors, opcua.pki != null && !opcua.pki.isBlank(), "opcua.pki must name a directory");
        check(errors, opcua.port >= 1 && opcua.port <= 65535, "opcua.port must be 1..65535");
        check(errors, opcua.port != server.port && (!metrics.enabled || opcua.port != metrics.port),
                "opcua.port must differ from server.port and metrics.port");
        check(errors, opcua.maxSessions >= 1 && opcua.maxSessions <= 1000, "opcua.maxSessions must be 1..1000");
        check(errors, opcua.maxSubscriptionsPerSession >= 1 && opcua.maxSubscriptionsPerSession <= 100,
                "opcua.maxSubscriptionsPerSession must be 1..100");
        check(errors, opcua.maxMonitoredItemsPerSession >= 1 && opcua.maxMonitoredItemsPerSession <= 100_000,
                "opcua.maxMonitoredItemsPerSession must be 1..100000");
        check(errors, opcua.minPublishingIntervalMillis >= 1 && opcua.minPublishingIntervalMillis <= 10_000,
                "opcua.minPublishingIntervalMillis must be 1..10000");
    }

    private void checkConsole(List<String> errors) {
        if (!console.enabled) {
            return;
        }
        check(errors, console.port >= 0 && console.port <= 65535,
                "console.port must be 0..65535 (0 picks a free port)");
        check(errors, console.port == 0 || console.port != server.port && (!metrics.enabled
                || console.port != metrics.port) && (!opcua.enabled || console.port != opcua.port),
                "console.port must differ from server.port, metrics.port and opcua.port");
        check(errors, console.sessionMinutes >= 1 && console.sessionMinutes <= 24 * 60,
                "console.sessionMinutes must be 1..1440");
        Map<String, Console.Account> accounts = Objects.requireNonNullElse(console.accounts, Map.of());
        check(errors, !accounts.isEmpty(), "console.accounts must name at least one account (nobody could sign in)");
        accounts.forEach((name, account) -> {
            check(errors, name.length() >= 1 && name.length() <= 64
                    && name.chars().allMatch(c -> c > 0x20 && c != 0x7F),
                    "console.accounts: an account's name is 1..64 printable characters without spaces, not "
                            + Echo.quoted(name));
            check(errors, account != null && ("engineer".equals(account.role) || "observer".equals(account.role)),
                    "console.accounts." + name + ".role must be engineer or observer");
            check(errors, account != null && account.passwordHash != null
                    && BCRYPT.matcher(account.passwordHash).matches(), "console.accounts." + name
                    + ".passwordHash must be a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters: kdedge-node "
                    + "hash-password makes one)");
        });
    }

    private static void checkTls(List<String> errors, Tls tls, String setting) {
        if (tls != null) {
            check(errors, tls.certificate != null && tls.key != null,
                    setting + ".certificate and " + setting + ".key must name PEM files");
            check(errors, tls.reloadSeconds >= 1 && tls.reloadSeconds <= 86400,
                    setting + ".reloadSeconds must be 1..86400");
        }
    }

    private static void check(List<String> errors, boolean ok, String message) {
        if (!ok) {
            errors.add(message);
        }
    }
}
