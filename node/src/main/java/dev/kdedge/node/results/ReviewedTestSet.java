package dev.kdedge.node.results;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.kdedge.node.audit.AuditTrail;
import dev.kdedge.node.audit.Review;
import dev.kdedge.node.inspection.Evaluation;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The parts people reviewed, as labeled data {@code kdedge-calibrate evaluate} reads: a ZIP of an MVTec-layout
 * category, {@code test/good/<result id>} for the parts reviewed OK and {@code test/reviewed_not_ok/<result id>} for
 * those reviewed NOT_OK, each the image the node kept, with {@code reviews.csv} saying who decided each and what the
 * node had scored. No masks: a review labels the part, not its pixels, so evaluate computes image metrics only.
 * Reviewed parts whose image is no longer kept are left out (the CSV still lists them, {@code image} empty).
 */
public final class ReviewedTestSet {
    /** The latest reviews a test set holds at most. */
    public static final int MAX_PARTS = 5000;
    static final String DEFECT_TYPE = "reviewed_not_ok";
    private static final CsvSchema COLUMNS = CsvSchema.builder().addColumn("result_id").addColumn("image")
            .addColumn("evaluation").addColumn("reviewer").addColumn("door").addColumn("reviewed_at")
            .addColumn("model_version").addColumn("raw_score").build().withHeader();

    private final AuditTrail audit;
    private final EvidenceStore evidence;

    public ReviewedTestSet(AuditTrail audit, EvidenceStore evidence) {
        this.audit = audit;
        this.evidence = evidence;
    }

    /**
     * Writes the product's latest reviewed parts as a ZIP to {@code out}. Blocking.
     *
     * @return how many images it holds
     */
    public int write(String product, OutputStream out) throws IOException {
        List<Review> reviews = audit.reviews(product, MAX_PARTS);
        int images = 0;
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            StringWriter csv = new StringWriter();
            try (SequenceWriter rows = new CsvMapper().writer(COLUMNS).writeValues(csv)) {
                for (Review review : reviews) {
                    Optional<EvidenceStore.Kept> kept = kept(review.resultId());
                    String name = kept.map(image -> "test/" + (review.evaluation() == Evaluation.OK ? "good"
                            : DEFECT_TYPE) + "/" + review.resultId() + "." + image.format().extension()).orElse("");
                    if (kept.isPresent()) {
                        zip.putNextEntry(new ZipEntry(name));
                        zip.write(kept.get().image());
                        zip.closeEntry();
                        images++;
                    }
                    rows.write(List.of(review.resultId(), name, review.evaluation().name(),
                            review.reviewer().name(), review.reviewer().door(), review.at().toString(),
                            review.version(), review.rawScore()));
                }
            }
            zip.putNextEntry(new ZipEntry("reviews.csv"));
            OutputStreamWriter text = new OutputStreamWriter(zip, StandardCharsets.UTF_8);
            text.write(csv.toString());
            text.flush();
            zip.closeEntry();
        }
        return images;
    }

    private Optional<EvidenceStore.Kept> kept(long resultId) throws IOException {
        try {
            return evidence.read(resultId).get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw new IOException("the image of result " + resultId + " cannot be read: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the image of result " + resultId, e);
        } catch (TimeoutException e) {
            throw new IOException("the kept images did not answer for result " + resultId, e);
        }
    }
}
