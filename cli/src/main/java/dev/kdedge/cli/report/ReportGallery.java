package dev.kdedge.cli.report;

import dev.kdedge.calibration.evaluation.EvaluationResult.ImageScore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The images an engineer should look at first, in this order: the worst false rejects (good parts scored highest),
 * the worst misses (defects scored lowest), then the surest detections, at most {@code perGroup} of each.
 */
public final class ReportGallery {
    public enum Group {
        FALSE_REJECT("false reject"), MISSED_DEFECT("missed defect"), DETECTED_DEFECT("detected defect");

        public final String title;

        Group(String title) {
            this.title = title;
        }
    }

    public record Pick(Group group, ImageScore image) {}

    private ReportGallery() {}

    public static List<Pick> pick(List<ImageScore> scores, int perGroup) {
        Comparator<ImageScore> highestFirst = Comparator.comparingDouble(ImageScore::score).reversed();
        List<Pick> picks = new ArrayList<>();
        add(picks, scores, Group.FALSE_REJECT, s -> !s.defective() && s.flagged(), highestFirst, perGroup);
        add(picks, scores, Group.MISSED_DEFECT, s -> s.defective() && !s.flagged(), highestFirst.reversed(), perGroup);
        add(picks, scores, Group.DETECTED_DEFECT, s -> s.defective() && s.flagged(), highestFirst, perGroup);
        return picks;
    }

    private static void add(List<Pick> picks, List<ImageScore> scores, Group group, Predicate<ImageScore> member,
            Comparator<ImageScore> order, int limit) {
        scores.stream().filter(member).sorted(order).limit(limit).forEach(s -> picks.add(new Pick(group, s)));
    }
}
