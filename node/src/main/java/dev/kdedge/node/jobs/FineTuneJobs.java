package dev.kdedge.node.jobs;

import dev.kdedge.calibration.fit.FitProgress;
import dev.kdedge.calibration.fit.FitRequest;
import dev.kdedge.calibration.fit.ProductFitter;
import dev.kdedge.calibration.method.DistillationMethod;
import dev.kdedge.calibration.method.Methods;
import dev.kdedge.calibration.method.TrainingRecipe;
import dev.kdedge.calibration.store.Manifest;
import dev.kdedge.calibration.store.ModelStore;
import dev.kdedge.calibration.store.ProductBundle;
import dev.kdedge.calibration.text.Echo;
import dev.kdedge.calibration.training.TrainingSettings;
import dev.kdedge.node.audit.Actor;
import dev.kdedge.node.audit.AuditTrail;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tune jobs of one node: one runs at a time, on a single thread at the lowest CPU priority (with every thread it
 * starts, see {@link BackgroundPriority}), the others wait in the order they came. PyTorch training is also limited
 * to the threads the node gives it, so scoring keeps the rest of the device. Each
 * job's record survives restarts: a job that was running when the node stopped is reported failed, with the reason;
 * queued jobs run again.
 */
public final class FineTuneJobs implements AutoCloseable, MeterBinder {
    private static final long SEED = 42;
    private static final String FINE_TUNE = "a fine-tune";
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneJobs.class);

    private final ModelStore store;
    private final AuditTrail audit;
    private final JobStore records;
    private final ProductFitter fitter;
    private final Map<String, JobLog> jobs = new ConcurrentHashMap<>();
    /** Where job durations go once {@link #bindTo} is called; until then a registry that keeps nothing. */
    private volatile MeterRegistry meters = new CompositeMeterRegistry();
    private final ExecutorService runner = Executors.newSingleThreadExecutor(
            BackgroundPriority.threadsNamed("kdedge-fine-tune", "fine-tunes"));

    /** A fine-tune stopped at its next step, by CancelJob or because the node shuts down. */
    private static final class Cancelled extends RuntimeException {
        Cancelled(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * @param fitter fits the jobs' versions into {@code store}, with the ONNX Runtime settings for the job's own
     *     sessions (teacher features, parity, threshold)
     */
    public FineTuneJobs(ModelStore store, Path recordDir, ProductFitter fitter, AuditTrail audit) throws IOException {
        this.store = store;
        this.audit = audit;
        this.records = new JobStore(recordDir);
        this.fitter = fitter;
        for (String product : store.products()) {
            UploadedNormals.setAsideDamaged(store, product);
        }
        for (JobStore.Saved saved : records.loadAll()) {
            JobLog log = new JobLog(records, saved.job(), saved.events());
            jobs.put(saved.job().id(), log);
            if (saved.job().state() == JobState.RUNNING) {
                String reason = "the node stopped while this job was running (restarted " + Instant.now()
                        + "); its version was not published unless DescribeProduct lists it";
                log.record(new JobEvent.Failed(reason), job -> job.stopped(JobState.FAILED, reason, Instant.now()));
            }
        }
        jobs.values().stream().filter(log -> log.job().state() == JobState.QUEUED)
                .sorted(Comparator.comparing(log -> log.job().createdAt()))
                .forEach(log -> runner.execute(() -> run(log)));
    }

    /**
     * Queues a fine-tune of the product's active version on its uploaded normals.
     *
     * @return the job as it was queued ({@link #get} and the job's events say how it goes on)
     *
     * @throws IllegalStateException when the product has too few uploaded normals
     * @throws IOException when the product has no active version ({@code UnknownProductException}) or the store fails
     */
    public FineTuneJob start(FineTuneSettings settings, Actor who) throws IOException {
        ProductBundle active = store.activeBundle(settings.product());
        UploadedNormals.atLeastMin(store, settings.product(), FINE_TUNE);
        audit.requireWritable();
        FineTuneJob job = FineTuneJob.queued(UUID.randomUUID().toString(), settings, Instant.now());
        JobLog log = new JobLog(records, job, List.of());
        FineTuneJob queued;
        synchronized (this) {
            long ahead = jobs.values().stream().filter(j -> !j.job().state().ended()).count();
            log.record(new JobEvent.Queued((int) ahead), j -> j);
            // as queued: the runner may have started it by the time this returns
            queued = log.job();
            jobs.put(job.id(), log);
            runner.execute(() -> run(log));
        }
        audit.record(who, "fine-tune", settings.product(), "version " + active.version() + " active",
                "job " + job.id() + " queued: " + settings.epochs() + " epochs " + (settings.fromScratch()
                        ? "from scratch" : "from version " + active.version()));
        return queued;
    }

    public FineTuneJob get(String jobId) {
        return log(jobId).job();
    }

    /** Every job, newest first. */
    public List<FineTuneJob> list() {
        return jobs.values().stream().map(JobLog::job)
                .sorted(Comparator.comparing(FineTuneJob::createdAt).reversed()).toList();
    }

    /**
     * Drops a queued job at once; a running one stops at its next training step (its state changes then).
     *
     * @throws IllegalStateException when the job has already ended
     */
    public FineTuneJob cancel(String jobId, Actor who) throws IOException {
        JobLog log = log(jobId);
        audit.requireWritable();
        synchronized (log) {
            JobState state = log.job().state();
            if (state.ended()) {
                throw new IllegalStateException("job " + jobId + " has already ended (" + state + ")");
            }
            if (state == JobState.QUEUED) {
                log.record(new JobEvent.Cancelled(), job -> job.stopped(JobState.CANCELLED,
                        "cancelled by request before it started", Instant.now()));
            } else {
                log.requestCancel("cancelled by request; no version was written");
            }
        }
        audit.record(who, "cancel-fine-tune", log.job().product(), "job " + jobId + " " + log.job().state(),
                "job " + jobId + " cancelled");
        return log.job();
    }

    /** The job's events so far; later ones go to {@code watcher} until the job ends. See {@link JobLog#watch}. */
    public List<JobEvent> watch(String jobId, Consumer<JobEvent> watcher) {
        return log(jobId).watch(watcher);
    }

    public void unwatch(String jobId, Consumer<JobEvent> watcher) {
        log(jobId).unwatch(watcher);
    }

    private JobLog log(String jobId) {
        JobLog log = jobs.get(jobId);
        if (log == null) {
            throw new NoSuchElementException("no job " + Echo.quoted(jobId) + " on this node");
        }
        return log;
    }

    private void run(JobLog log) {
        synchronized (log) {
            if (log.job().state() != JobState.QUEUED) {
                return;
            }
            log.record(new JobEvent.Stage("starting"), job -> job.running(Instant.now()));
        }
        FineTuneSettings settings = log.job().settings();
        long started = System.nanoTime();
        try {
            ProductBundle base = store.activeBundle(settings.product());
            List<Path> normals = UploadedNormals.intact(store, settings.product(), FINE_TUNE);
            List<Path> defects = store.uploads(settings.product(), ModelStore.UploadKind.DEFECT);
            DistillationMethod method = Methods.named(base.manifest().method(), base.manifest().anomalyMap());
            TrainingRecipe recipe = settings.fromScratch() ? method.recipe() : method.fineTuneRecipe();
            if (settings.learningRate() != 0) {
                recipe = recipe.withLearningRate((float) settings.learningRate());
            }
            FitRequest request = FitRequest.refit(base, !settings.fromScratch(), normals, defects,
                    new TrainingSettings(recipe, settings.epochs(), SEED),
                    settings.holdoutFraction(), store.thresholdPolicy(settings.product()));
            ProductBundle written = fitter.fit(request, new JobProgress(log));
            log.record(new JobEvent.Done(written.version()), job -> job.succeeded(written.version(), Instant.now()));
        } catch (Cancelled e) {
            log.record(new JobEvent.Cancelled(), job -> job.stopped(JobState.CANCELLED, e.getMessage(), Instant.now()));
        } catch (Exception | Error e) {
            LOG.warn("fine-tune {} of {} failed", log.job().id(), settings.product(), e);
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            log.record(new JobEvent.Failed(reason), job -> job.stopped(JobState.FAILED, reason, Instant.now()));
        } finally {
            Timer.builder("kdedge.finetune.duration").description("a fine-tune job from its start to its end")
                    .tags("product", settings.product(), "state",
                            log.job().state().name().toLowerCase(Locale.ROOT))
                    .register(meters).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }

    /** Jobs by state, and each ended job's duration by product and outcome. */
    @Override
    public void bindTo(MeterRegistry registry) {
        meters = registry;
        for (JobState state : JobState.values()) {
            Gauge.builder("kdedge.finetune.jobs", this, jobs -> jobs.list().stream()
                            .filter(job -> job.state() == state).count())
                    .tag("state", state.name().toLowerCase(Locale.ROOT)).register(registry);
        }
    }

    /** Turns a fit's progress into job events, and stops the fit at the next step once cancelled. */
    private static final class JobProgress implements FitProgress {
        private final JobLog log;
        private double trainingSeconds;

        JobProgress(JobLog log) {
            this.log = log;
        }

        private void stopIfCancelled() {
            if (log.cancelReason() != null) {
                throw new Cancelled(log.cancelReason());
            }
        }

        @Override
        public void imageLoaded(int done, int total) {
            stopIfCancelled();
        }

        @Override
        public void stage(String description) {
            stopIfCancelled();
            log.record(new JobEvent.Stage(description), job -> job);
        }

        @Override
        public void batchDone(int epoch, int epochs, int batch, int batches, double loss) {
            stopIfCancelled();
        }

        @Override
        public void epochDone(int epoch, int epochs, double meanLoss, double seconds) {
            trainingSeconds += seconds;
            log.record(new JobEvent.Epoch(epoch, epochs, meanLoss, seconds,
                    trainingSeconds / epoch * (epochs - epoch)), job -> job);
            stopIfCancelled();
        }

        @Override
        public void parityChecked(double maxAbsDifference, double bound) {
            log.record(new JobEvent.ParityChecked(maxAbsDifference, bound), job -> job);
        }

        @Override
        public void thresholdProposed(Manifest.Threshold threshold) {
            log.record(new JobEvent.ThresholdProposed(threshold.calibration().threshold(), threshold.policy(),
                    threshold.images(), threshold.f1OptimalThreshold(), threshold.f1()), job -> job);
        }
    }

    /**
     * Cancels the running and queued jobs and waits for the running one to stop (it checks between training batches)
     * and record its end, so nothing writes into the store after the node has closed.
     */
    @Override
    public void close() {
        jobs.values().forEach(log -> log.requestCancel("the node shut down during the job; no version was written"));
        runner.shutdownNow();
        try {
            if (!runner.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("a fine-tune did not stop within 30 s of the node closing");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
