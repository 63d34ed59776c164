package dev.kdedge.node.results;

import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.UnknownProductException;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.inference.ScoringPipeline;
import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.HeatmapWish;
import dev.kdedge.node.inspection.ImageInput;
import dev.kdedge.node.inspection.InspectionRequest;
import dev.kdedge.node.inspection.InspectionResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A candidate version judged beside the active one on the line's own frames before it judges them alone: per product,
 * a share of the frames the line sends is scored again by the candidate, and both evaluations are recorded under the
 * active result's id ({@link ShadowRecords}). The candidate's verdict is never anyone's answer.
 *
 * <p>The line comes first: a frame is handed to the candidate only when a scoring worker is free and no call waits,
 * at most {@code maxInFlight} at once (under a client key of their own), and within a time budget: the candidate's
 * scoring takes at most {@code maxBusyShare} of the wall clock, since a free worker is not a free processor (the
 * candidate's inference and the line's share the cores). Any other frame is skipped and counted. So a line that keeps
 * the device busy loses at most that share of it, and a line with gaps between its parts lends the shadow the gaps.
 * Promoting the candidate ends its shadow (at the next frame, or the next look at it). Starting and stopping are
 * audited.
 */
public final class ShadowScoring implements MeterBinder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShadowScoring.class);
    private static final Object CLIENT = "shadow";
    private static final Actor NODE = new Actor("node", "node");
    private static final int DISAGREEMENTS_SHOWN = 50;

    /**
     * A candidate version scored beside the product's active one.
     *
     * @param share the part of the line's frames offered to it, (0, 1]
     */
    public record Shadow(String product, int candidateVersion, double share, Instant since, Actor startedBy) {
        String described() {
            return "version " + candidateVersion + " on " + Math.round(share * 1000) / 10.0 + "% of frames";
        }
    }

    /** One frame as the active version answered it and as the candidate judged it. */
    public record Judged(long resultId, String product, String partId, int activeVersion, int candidateVersion,
            Evaluation active, double activeScore, Evaluation candidate, double candidateScore, Instant at) {
        public boolean agrees() {
            return active == candidate;
        }
    }

    /** How many frames the active version judged {@code active} and the candidate {@code candidate}. */
    public record Pairing(Evaluation active, Evaluation candidate, long frames) {}

    /**
     * What a shadow has shown since it started.
     *
     * @param skipped frames of the share left to the line (no worker free, {@code maxInFlight} reached, or the time
     *     budget spent), since
     *     the shadow started or the node did
     * @param disagreements the latest frames judged apart, newest first
     */
    public record Agreement(Shadow shadow, List<Pairing> pairings, long skipped, List<Judged> disagreements) {
        public long judged() {
            return pairings.stream().mapToLong(Pairing::frames).sum();
        }

        public long agreeing() {
            return pairings.stream().filter(p -> p.active() == p.candidate()).mapToLong(Pairing::frames).sum();
        }
    }

    /**
     * @param maxInFlight candidate frames scored at once
     * @param maxBusyShare the part of the wall clock the candidate's scoring may take, (0, 1]
     * @param maxJudged frames judged kept in the records
     */
    public record Settings(Path file, int maxInFlight, double maxBusyShare, long maxJudged) {}

    /**
     * The scoring time a shadow may take: credit accrues at {@code share} of the wall clock, up to one second's worth,
     * and each judged frame spends what it took; a frame is taken while credit is left.
     */
    private static final class TimeBudget {
        private static final long ONE_SECOND = 1_000_000_000L;
        private final double share;
        private double creditNanos;
        private long lastNanos = System.nanoTime();

        TimeBudget(double share) {
            this.share = share;
            this.creditNanos = share * ONE_SECOND;
        }

        synchronized boolean allows() {
            accrue();
            return creditNanos > 0;
        }

        synchronized void spend(double ms) {
            accrue();
            creditNanos -= ms * 1e6;
        }

        private void accrue() {
            long now = System.nanoTime();
            creditNanos = Math.min(share * ONE_SECOND, creditNanos + (now - lastNanos) * share);
            lastNanos = now;
        }
    }

    /** A running shadow with its counts since it started and its frame counter for the share. */
    private static final class Running {
        private final Shadow shadow;
        final AtomicLong offered = new AtomicLong();
        final AtomicLong skipped = new AtomicLong();
        final AtomicLong judged;
        final AtomicLong agreeing;

        Running(Shadow shadow, long judged, long agreeing) {
            this.shadow = shadow;
            this.judged = new AtomicLong(judged);
            this.agreeing = new AtomicLong(agreeing);
        }

        Shadow shadow() {
            return shadow;
        }

        /** Every frame counts; one in 1/share is taken, spread evenly (share 0.25: the 4th, 8th, ...). */
        boolean takes() {
            long n = offered.incrementAndGet();
            return Math.floor(n * shadow.share()) > Math.floor((n - 1) * shadow.share());
        }

        double agreement() {
            long all = judged.get();
            return all == 0 ? Double.NaN : (double) agreeing.get() / all;
        }
    }

    private final ScoringPipeline pipeline;
    private final ModelStore store;
    private final AuditTrail audit;
    private final ShadowRecords records;
    private final int maxInFlight;
    private final TimeBudget budget;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Records what the candidate judged off the scoring workers, one frame at a time. */
    private final ExecutorService recorder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kdedge-shadow");
        t.setDaemon(true);
        return t;
    });
    private volatile MeterRegistry meters;
    /** Whether the last frame failed (scoring or recording): failures are logged once per stretch. */
    private boolean failing;

    /** Resumes the shadows that ran when the node stopped; a record that cannot be read is logged, and none run. */
    public ShadowScoring(ScoringPipeline pipeline, ModelStore store, AuditTrail audit, Settings settings) {
        this.pipeline = pipeline;
        this.store = store;
        this.audit = audit;
        this.records = new ShadowRecords(settings.file(), settings.maxJudged());
        this.maxInFlight = settings.maxInFlight();
        this.budget = new TimeBudget(settings.maxBusyShare());
        try {
            records.prune();
            for (Shadow shadow : records.shadows()) {
                running.put(shadow.product(), resumed(shadow));
            }
        } catch (IOException e) {
            LOG.error("no shadow runs: {}", e.getMessage());
        }
    }

    private Running resumed(Shadow shadow) throws IOException {
        Agreement so = new Agreement(shadow, records.pairings(shadow), 0, List.of());
        return new Running(shadow, so.judged(), so.agreeing());
    }

    /**
     * Scores {@code candidateVersion} beside the product's active version on {@code share} of its frames from now on,
     * in place of a shadow already running. Blocking.
     *
     * @throws IllegalArgumentException for a share outside (0, 1], or the active version as the candidate
     * @throws NoSuchElementException for a version the store does not have
     */
    public Shadow start(String product, int candidateVersion, double share, Actor who) throws IOException {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be above 0 and at most 1 (the part of the line's frames "
                    + "the candidate also scores), not " + share);
        }
        ModelStore.requireValidProductId(product);
        List<Integer> versions = store.versions(product);
        if (versions.isEmpty()) {
            throw new UnknownProductException("no product '" + product + "' in the store");
        }
        if (!versions.contains(candidateVersion)) {
            throw new NoSuchElementException("product " + product + " has no version " + candidateVersion);
        }
        if (store.activeVersion(product).orElse(0) == candidateVersion) {
            throw new IllegalArgumentException("version " + candidateVersion + " of " + product + " is the active "
                    + "one: a shadow scores another version beside it");
        }
        audit.requireWritable();
        Shadow shadow = new Shadow(product, candidateVersion, share, Instant.now(), who);
        synchronized (this) {
            records.start(shadow);
            Running before = running.put(product, new Running(shadow, 0, 0));
            register(product);
            try {
                audit.record(who, "shadow-on", product, before == null ? "off" : before.shadow().described(),
                        shadow.described());
            } catch (IOException unrecorded) {
                // a change that could not be recorded is not made
                restore(product, before);
                throw unrecorded;
            }
        }
        return shadow;
    }

    /** Stops the product's shadow; what it judged stays in the records. Blocking. */
    public void stop(String product, Actor who) throws IOException {
        audit.requireWritable();
        Running before = running.get(product);
        if (before == null || !stop(before, who, "off")) {
            throw new NoSuchElementException("no shadow runs for product " + product);
        }
    }

    /** Stops {@code shadow} unless another has taken its place; whether it did. */
    private synchronized boolean stop(Running shadow, Actor who, String after) throws IOException {
        String product = shadow.shadow().product();
        if (running.get(product) != shadow) {
            return false;
        }
        records.stop(product);
        running.remove(product);
        try {
            audit.record(who, "shadow-off", product, shadow.shadow().described(), after);
        } catch (IOException unrecorded) {
            restore(product, shadow);
            throw unrecorded;
        }
        return true;
    }

    /** Puts back the product's shadow as it ran before a change the audit trail could not record. */
    private void restore(String product, Running before) throws IOException {
        if (before == null) {
            records.stop(product);
            running.remove(product);
        } else {
            records.start(before.shadow());
            running.put(product, before);
        }
    }

    /** The product's running shadow and what it has shown; empty when none runs. Blocking. */
    public Optional<Agreement> agreement(String product) throws IOException {
        Running shadow = running.get(product);
        if (shadow == null) {
            return Optional.empty();
        }
        if (store.activeVersion(product).orElse(0) == shadow.shadow().candidateVersion()) {
            ended(shadow);
            return Optional.empty();
        }
        return Optional.of(new Agreement(shadow.shadow(), records.pairings(shadow.shadow()), shadow.skipped.get(),
                records.disagreements(shadow.shadow(), DISAGREEMENTS_SHOWN)));
    }

    /**
     * A frame the line had scored and the journal recorded: the candidate scores it too when the frame falls in the
     * share and the line leaves room. Returns at once (called where the journal hands results back).
     */
    public void offer(InspectionRequest request, InspectionResult recorded) {
        Running shadow = running.get(recorded.verdict().product());
        // a request that asked for a version of its own is not the line's active judgment
        if (shadow == null || recorded.resultId() == 0 || request.version() != 0) {
            return;
        }
        if (recorded.verdict().version() == shadow.shadow().candidateVersion()) {
            recorder.execute(() -> ended(shadow));
            return;
        }
        if (!shadow.takes()) {
            return;
        }
        if (!pipeline.hasRoom() || !budget.allows() || !takeSlot()) {
            shadow.skipped.incrementAndGet();
            count(shadow.shadow().product(), "skipped");
            return;
        }
        // a shared frame's pixels are copied out of the buffer lent for its call, once: a rejected part's evidence
        // holds such a copy already
        ImageInput image = recorded.evidence().flatMap(evidence -> evidence.imageHeld(request.image()))
                .orElseGet(request.image()::toKeep);
        InspectionRequest byCandidate = new InspectionRequest(request.product(), shadow.shadow().candidateVersion(),
                image, HeatmapWish.NONE, InspectionRequest.NO_DEADLINE, CLIENT, request.part(),
                "shadow");
        pipeline.score(byCandidate, new CompletableFuture<>())
                .whenCompleteAsync((candidate, failure) -> {
                    inFlight.decrementAndGet();
                    if (candidate != null) {
                        budget.spend(candidate.verdict().timings().totalMs());
                    }
                    if (failure != null) {
                        failed(shadow.shadow().product(), "version " + shadow.shadow().candidateVersion() + " of "
                                + shadow.shadow().product() + " could not score result " + recorded.resultId()
                                + ": " + failure.getMessage());
                        return;
                    }
                    record(shadow, recorded, candidate);
                }, recorder);
    }

    /** One of the {@code maxInFlight} places for a candidate frame, unless all are taken. */
    private boolean takeSlot() {
        int n;
        do {
            n = inFlight.get();
            if (n >= maxInFlight) {
                return false;
            }
        } while (!inFlight.compareAndSet(n, n + 1));
        return true;
    }

    private void record(Running shadow, InspectionResult active, InspectionResult candidate) {
        Judged judged = new Judged(active.resultId(), active.verdict().product(), active.part().id(),
                active.verdict().version(), candidate.verdict().version(), active.evaluation(),
                active.verdict().rawScore(), candidate.evaluation(), candidate.verdict().rawScore(), Instant.now());
        try {
            records.judged(judged);
        } catch (IOException e) {
            failed(judged.product(), e.getMessage());
            return;
        }
        if (failing) {
            failing = false;
            LOG.info("shadows judge and record frames again");
        }
        shadow.judged.incrementAndGet();
        if (judged.agrees()) {
            shadow.agreeing.incrementAndGet();
        }
        count(judged.product(), "judged");
    }

    /** On the recorder's thread: a frame lost, counted; logged once per stretch of failures. */
    private void failed(String product, String why) {
        count(product, "failed");
        if (!failing) {
            failing = true;
            LOG.warn("a shadow's frame was not judged (further failures are counted as "
                    + "kdedge_shadow_frames_total{outcome=\"failed\"} until one is): {}", why);
        }
    }

    /** The candidate now answers the line: its shadow has nothing left to show. */
    private void ended(Running shadow) {
        String product = shadow.shadow().product();
        try {
            if (store.activeVersion(product).orElse(0) == shadow.shadow().candidateVersion()) {
                stop(shadow, NODE, "ended: version " + shadow.shadow().candidateVersion() + " became the active one");
            }
        } catch (IOException e) {
            LOG.warn("the shadow of {} could not be ended: {}", product, e.getMessage());
        }
    }

    private void count(String product, String outcome) {
        MeterRegistry registry = meters;
        if (registry != null) {
            Counter.builder("kdedge.shadow.frames").description("frames of a shadow's share: judged by the candidate, "
                    + "skipped for the line, or failed").tags("product", product, "outcome", outcome)
                    .register(registry).increment();
        }
    }

    private void register(String product) {
        MeterRegistry registry = meters;
        if (registry != null) {
            Gauge.builder("kdedge.shadow.agreement", running, r -> Optional.ofNullable(r.get(product))
                            .map(Running::agreement).orElse(Double.NaN))
                    .description("share of the frames a shadow judged on which the candidate version's evaluation "
                            + "equals the active version's, since the shadow started")
                    .tag("product", product).register(registry);
        }
    }

    /** {@code kdedge_shadow_agreement{product}} from a product's first shadow on; {@code kdedge_shadow_frames_total}. */
    @Override
    public void bindTo(MeterRegistry registry) {
        meters = registry;
        running.keySet().forEach(this::register);
    }

    /** Records the frames already judged, then closes the records. */
    @Override
    public void close() {
        recorder.shutdown();
        try {
            recorder.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        records.close();
    }
}
