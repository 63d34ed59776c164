package dev.kdedge.calibration.metrics;

/**
 * The ROC curve of image scores, from (0, 0) to (1, 1), one point per distinct score; defective is positive.
 * Its {@link #area() area} is the AUROC with tied scores counting half, as scikit-learn's {@code roc_auc_score}.
 */
public record RocCurve(double[] falsePositiveRates, double[] truePositiveRates) {

    /** @throws IllegalArgumentException when either class is absent (the curve is then undefined) or on bad input */
    public static RocCurve of(double[] scores, boolean[] positive) {
        ThresholdSweep sweep = ThresholdSweep.of(scores, positive);
        if (sweep.positives() == 0 || sweep.negatives() == 0) {
            throw new IllegalArgumentException("AUROC needs both normal and anomalous samples (got "
                    + sweep.negatives() + " normal, " + sweep.positives() + " anomalous)");
        }
        double[] fpr = new double[sweep.steps() + 1];
        double[] tpr = new double[sweep.steps() + 1];
        for (int k = 0; k < sweep.steps(); k++) {
            fpr[k + 1] = (double) sweep.falsePositives()[k] / sweep.negatives();
            tpr[k + 1] = (double) sweep.truePositives()[k] / sweep.positives();
        }
        return new RocCurve(fpr, tpr);
    }

    public static double auroc(double[] scores, boolean[] positive) {
        return of(scores, positive).area();
    }

    public double area() {
        double area = 0;
        for (int k = 1; k < falsePositiveRates.length; k++) {
            area += (falsePositiveRates[k] - falsePositiveRates[k - 1])
                    * (truePositiveRates[k] + truePositiveRates[k - 1]) / 2;
        }
        return area;
    }
}
