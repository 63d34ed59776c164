package dev.kdedge.cli.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import dev.kdedge.calibration.evaluation.EvaluationResult;
import dev.kdedge.calibration.evaluation.EvaluationResult.Confusion;
import dev.kdedge.calibration.image.DontCareMask;
import dev.kdedge.calibration.metrics.F1Threshold;
import dev.kdedge.calibration.scoring.HeatmapImages;
import dev.kdedge.calibration.store.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The evaluation as one self-contained HTML file a person can read at a glance: headline figures, ROC curve, score
 * histograms with the threshold, PRO curve, a gallery of heat-map overlays, what the fit found on synthetic defects
 * (their scores against the held-out normals', and the ranking of the methods where it chose one) and the model's
 * manifest. Chart.js comes
 * from its WebJar and is inlined with the data and the images, and the page's content security policy forbids any
 * fetch, so it works with no network and shows the same thing anywhere.
 */
public final class HtmlReport {
    private static final String NOT_AVAILABLE = "n/a";
    private static final int MASK_WIDTH = 480;
    private static final String CHART_JS_POM = "/META-INF/maven/org.webjars.npm/chart.js/pom.properties";

    /** One gallery picture with its caption. */
    public record GalleryImage(ReportGallery.Pick pick, byte[] overlayPng) {}

    private final Template template;
    private final String chartJs;

    public HtmlReport() {
        try (Reader reader = resourceReader(HtmlReport.class, "report.html.mustache")) {
            template = Mustache.compiler().compile(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        chartJs = chartJs();
    }

    /**
     * @param model the manifest, or what is known of the model when it was evaluated on a node
     * @param fitted the evaluated version's manifest, or null when a node served it (its store is elsewhere)
     * @param dontCare the version's don't-care region, or null where it has none
     */
    public void write(Path file, EvaluationResult result, String model, Manifest fitted, List<GalleryImage> gallery,
            DontCareMask dontCare) throws IOException {
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("bundle", result.bundle());
        page.put("precision", result.precision());
        page.put("data", result.data());
        page.put("images", result.images());
        page.put("defective", result.defective());
        page.put("good", result.images() - result.defective());
        page.put("imageAuroc", percent(result.imageAuroc()));
        page.put("pixelAuroc", percent(result.pixelAuroc()));
        page.put("pro", percent(result.pro()));
        F1Threshold f1 = result.f1Optimal();
        page.put("f1Threshold", f1 == null ? NOT_AVAILABLE : number(f1.threshold()));
        page.put("f1", f1 == null ? NOT_AVAILABLE : percent(f1.f1()));
        page.put("f1Precision", f1 == null ? NOT_AVAILABLE : percent(f1.precision()));
        page.put("f1Recall", f1 == null ? NOT_AVAILABLE : percent(f1.recall()));
        Confusion c = result.atThreshold();
        page.put("threshold", number(c.threshold()));
        page.put("falseRejects", c.falsePositives());
        page.put("falseRejectRate", rate(c.falsePositives(), c.falsePositives() + c.trueNegatives()));
        page.put("misses", c.falseNegatives());
        page.put("missRate", rate(c.falseNegatives(), c.falseNegatives() + c.truePositives()));
        page.put("perType", result.imageAurocPerType().entrySet().stream()
                .map(e -> Map.of("type", e.getKey(), "auroc", percent(e.getValue()))).toList());
        page.put("inferenceMs", String.format(Locale.ROOT, "%.1f", result.inferenceMsMedian()));
        page.put("notes", result.notes());
        page.put("gallery", gallery.stream().map(HtmlReport::galleryItem).toList());
        page.put("model", model);
        if (fitted != null && fitted.threshold().synthetic() != null
                && fitted.threshold().synthetic().defectScores() != null) {
            page.put("synthetic", syntheticSection(fitted.threshold()));
        }
        if (dontCare != null) {
            page.put("dontCare", dontCareSection(dontCare, fitted));
        }
        if (fitted != null && fitted.methodChoice() != null) {
            page.put("methodChoice", methodChoiceSection(fitted.methodChoice()));
        }
        page.put("chartData", scriptSafe(new ObjectMapper().writeValueAsString(result)));
        page.put("chartJs", chartJs);
        Files.writeString(file, template.execute(page), StandardCharsets.UTF_8);
    }

    /** The fit's synthetic defects: the figures, and both score distributions for the chart. */
    private static Map<String, Object> syntheticSection(Manifest.Threshold threshold) throws IOException {
        Manifest.SyntheticCheck synthetic = threshold.synthetic();
        double at = threshold.calibration().threshold();
        return Map.of("defects", synthetic.defects(), "caught", percent(synthetic.caught()),
                "normalsRejected", percent(synthetic.normalsRejected()), "imageAuroc", percent(synthetic.imageAuroc()),
                "pixelAuroc", percent(synthetic.pixelAuroc()), "threshold", number(at),
                "chartData", scriptSafe(new ObjectMapper().writeValueAsString(Map.of(
                        "normalScores", synthetic.normalScores(), "defectScores", synthetic.defectScores(),
                        "threshold", at))));
    }

    /** The mask as drawn, white where nothing counts, at most {@value #MASK_WIDTH} pixels wide. */
    private static Map<String, Object> dontCareSection(DontCareMask dontCare, Manifest fitted) {
        int width = Math.min(MASK_WIDTH, dontCare.width());
        int height = Math.max(1, (int) Math.round((double) width * dontCare.height() / dontCare.width()));
        boolean[] covered = dontCare.at(width, height);
        byte[] gray = new byte[covered.length];
        for (int i = 0; i < gray.length; i++) {
            gray[i] = covered[i] ? (byte) 255 : 0;
        }
        String png = Base64.getEncoder().encodeToString(HeatmapImages.png(HeatmapImages.gray(gray, width, height)));
        return Map.of("width", dontCare.width(), "height", dontCare.height(), "src", "data:image/png;base64," + png,
                "covered", percent(fitted == null ? dontCare.coveredShare(dontCare.width(), dontCare.height())
                        : fitted.dontCare().coveredShare()));
    }

    private static Map<String, Object> methodChoiceSection(Manifest.MethodChoice choice) {
        return Map.of("epochs", choice.epochs() + (choice.epochs() == 1 ? " epoch" : " epochs"), "candidates", choice.candidates().stream()
                .map(candidate -> Map.of("method", candidate.method(), "imageAuroc", percent(candidate.imageAuroc()),
                        "pixelAuroc", percent(candidate.pixelAuroc()),
                        "seconds", String.format(Locale.ROOT, "%.0f", candidate.seconds())))
                .toList());
    }

    private static Map<String, Object> galleryItem(GalleryImage g) {
        EvaluationResult.ImageScore image = g.pick().image();
        return Map.of("group", g.pick().group().title, "groupClass", g.pick().group().name().toLowerCase(Locale.ROOT),
                "name", Path.of(image.image()).getFileName().toString(), "type", image.type(),
                "score", number(image.score()),
                "src", "data:image/png;base64," + Base64.getEncoder().encodeToString(g.overlayPng()));
    }

    /** JSON inside a script element: no "<" may open a closing tag; "\u003c" means the same in a JSON string. */
    private static String scriptSafe(String json) {
        return json.replace("<", "\\u003c");
    }

    private static String percent(Double value) {
        return value == null ? NOT_AVAILABLE : String.format(Locale.ROOT, "%.1f %%", 100 * value);
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }

    private static String rate(int count, int of) {
        return of == 0 ? NOT_AVAILABLE : String.format(Locale.ROOT, "%.1f %%", 100.0 * count / of);
    }

    private static String chartJs() {
        Properties pom = new Properties();
        try (InputStream in = HtmlReport.class.getResourceAsStream(CHART_JS_POM)) {
            if (in == null) {
                throw new IllegalStateException("Chart.js WebJar not on the class path");
            }
            pom.load(in);
            String path = "/META-INF/resources/webjars/chart.js/" + pom.getProperty("version") + "/dist/chart.umd.js";
            try (InputStream js = HtmlReport.class.getResourceAsStream(path)) {
                if (js == null) {
                    throw new IllegalStateException(path + " missing from the Chart.js WebJar");
                }
                String source = new String(js.readAllBytes(), StandardCharsets.UTF_8);
                if (source.contains("</script")) {
                    throw new IllegalStateException("Chart.js cannot be inlined: it contains </script");
                }
                return source;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Reader resourceReader(Class<?> owner, String name) {
        InputStream in = owner.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " missing from the class path");
        }
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }
}
