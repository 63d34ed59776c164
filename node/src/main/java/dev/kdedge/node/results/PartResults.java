package dev.kdedge.node.results;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.inspection.InspectionResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Parts seen by several cameras: a product may need several views of each part (node.yaml {@code parts.views}).
 * The part is decided once every view has come: NOT_OK if any view is NOT_OK, OK if all are OK; NOT_DECIDABLE when a
 * view's scoring failed (and no view is NOT_OK: a reject stays a reject), or when a view has not come within the
 * timeout after the part's first. A view that comes again for a part already waiting is ignored; one that comes after
 * its part was decided starts a new part.
 */
public final class PartResults implements AutoCloseable {
    /** A part's result, decided from its views' results. @param why for NOT_DECIDABLE; empty otherwise */
    public record Decided(String product, String partId, String station, int version, String precision,
            double rawScore, double normalizedScore, double threshold, Evaluation evaluation, String why,
            List<Long> viewResultIds) {}

    private record Key(String product, String partId) {}

    /** The views of one part that have come so far, in the order they came. */
    private static final class Waiting {
        final Map<String, InspectionResult> scored = new LinkedHashMap<>();
        final Map<String, String> failed = new LinkedHashMap<>();
        ScheduledFuture<?> timeout;
    }

    private final Map<String, List<String>> viewsByProduct;
    private final long timeoutMillis;
    private final Consumer<Decided> decided;
    private final Map<Key, Waiting> waiting = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kdedge-part-timeouts");
        thread.setDaemon(true);
        return thread;
    });

    /** @param decided told of each part decided, on the thread that decided it */
    public PartResults(Map<String, List<String>> viewsByProduct, long timeoutMillis, Consumer<Decided> decided) {
        this.viewsByProduct = Map.copyOf(viewsByProduct);
        this.timeoutMillis = timeoutMillis;
        this.decided = decided;
    }

    /** Whether results of this product are views of a part, not the part's own result. */
    public boolean needsViews(String product) {
        return viewsByProduct.containsKey(product);
    }

    /** A view's recorded result. */
    public void scored(InspectionResult view) {
        arrived(view.verdict().product(), view.part().id(), view.part().view(), w -> w.scored.putIfAbsent(
                view.part().view(), view));
    }

    /** A view whose scoring failed, and why. */
    public void failed(String product, String partId, String view, String why) {
        arrived(product, partId, view, w -> w.failed.putIfAbsent(view, why));
    }

    private void arrived(String product, String partId, String view, Consumer<Waiting> add) {
        List<String> views = viewsByProduct.get(product);
        Key key = new Key(product, partId);
        Decided outcome;
        synchronized (waiting) {
            Waiting part = waiting.computeIfAbsent(key, k -> {
                Waiting w = new Waiting();
                w.timeout = timer.schedule(() -> timedOut(k), timeoutMillis, TimeUnit.MILLISECONDS);
                return w;
            });
            if (!views.contains(view)) {
                part.failed.putIfAbsent(view, "view '" + view + "' is not one of " + views);
            } else if (!part.scored.containsKey(view)) {
                add.accept(part);
            }
            if (!part.failed.keySet().containsAll(missing(views, part))) {
                return;
            }
            waiting.remove(key);
            part.timeout.cancel(false);
            outcome = decide(product, partId, views, part, "");
        }
        decided.accept(outcome);
    }

    /** The views that have not been scored. */
    private static List<String> missing(List<String> views, Waiting part) {
        return views.stream().filter(view -> !part.scored.containsKey(view)).toList();
    }

    private void timedOut(Key key) {
        Decided outcome;
        synchronized (waiting) {
            Waiting part = waiting.remove(key);
            if (part == null) {
                return;
            }
            List<String> views = viewsByProduct.get(key.product());
            outcome = decide(key.product(), key.partId(), views, part, "view " + missing(views, part).stream()
                    .filter(view -> !part.failed.containsKey(view)).toList() + " did not come within " + timeoutMillis
                    + " ms of the part's first");
        }
        decided.accept(outcome);
    }

    private static Decided decide(String product, String partId, List<String> views, Waiting part, String lateWhy) {
        List<InspectionResult> scored = new ArrayList<>(part.scored.values());
        boolean anyNotOk = scored.stream().anyMatch(view -> view.evaluation() == Evaluation.NOT_OK);
        List<String> problems = new ArrayList<>();
        part.scored.forEach((view, result) -> {
            if (result.evaluation() == Evaluation.NOT_DECIDABLE) {
                problems.add("view " + view + " scored in the review band");
            }
        });
        part.failed.forEach((view, why) -> problems.add("view " + view + " failed: " + why));
        if (!lateWhy.isEmpty()) {
            problems.add(lateWhy);
        }
        Evaluation evaluation = anyNotOk ? Evaluation.NOT_OK
                : problems.isEmpty() && part.scored.keySet().containsAll(views) ? Evaluation.OK
                : Evaluation.NOT_DECIDABLE;
        InspectionResult worst = scored.stream().max((a, b) -> Double.compare(a.verdict().normalizedScore(),
                b.verdict().normalizedScore())).orElse(null);
        return new Decided(product, partId, worst == null ? "" : worst.part().station(),
                worst == null ? 0 : worst.verdict().version(), worst == null ? "" : worst.verdict().precision(),
                worst == null ? 0 : worst.verdict().rawScore(), worst == null ? 0 : worst.verdict().normalizedScore(),
                worst == null ? 0 : worst.verdict().threshold(), evaluation,
                evaluation == Evaluation.NOT_DECIDABLE ? String.join("; ", problems) : "",
                scored.stream().map(InspectionResult::resultId).toList());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
