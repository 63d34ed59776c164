"""Reference values for MetricsCrossCheckTest, computed independently of the Java code.

Image AUROC, F1 and pixel AUROC come from scikit-learn; the two-sample Kolmogorov-Smirnov statistic from scipy; PRO from scipy's connected-component labelling and a
per-region cumulative count, integrated with numpy's trapezoid rule up to the FPR limit, as the MVTec AD
evaluation code does. The STFPM code's "PRO" is written out from that code's description: 4000 evenly spaced
thresholds from the highest score down, pixels strictly above count, FPR and overlap each min-max rescaled.

usage: reference_metrics.py fixture.json  (prints one JSON object)
"""
import json
import sys

import numpy as np
from scipy import ndimage, stats
from sklearn.metrics import precision_recall_curve, roc_auc_score


def f1_optimal(scores, labels):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))[:-1]
    best = np.flatnonzero(f1 == f1.max())
    return float(f1.max()), float(thresholds[best].min())


def pro(maps, masks, max_fpr):
    scores, region_ids, sizes = [], [], [0]
    for score_map, mask in zip(maps, masks):
        labelled, count = ndimage.label(mask, structure=np.ones((3, 3)))
        ids = np.where(labelled > 0, labelled + len(sizes) - 1, 0)
        sizes.extend(np.bincount(labelled.ravel(), minlength=count + 1)[1:])
        scores.append(score_map.ravel())
        region_ids.append(ids.ravel())
    scores = np.concatenate(scores)
    region_ids = np.concatenate(region_ids)
    sizes = np.asarray(sizes, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    scores, region_ids = scores[order], region_ids[order]
    normal = region_ids == 0
    fpr = np.cumsum(normal) / normal.sum()
    # covered[k, r]: pixels of region r at or above the k-th highest score
    regions = len(sizes) - 1
    one_hot = np.zeros((len(scores), regions))
    one_hot[np.flatnonzero(~normal), region_ids[~normal] - 1] = 1
    overlap = (np.cumsum(one_hot, axis=0) / sizes[1:]).mean(axis=1)
    last_of_value = np.append(scores[1:] != scores[:-1], True)
    x = np.concatenate([[0.0], fpr[last_of_value]])
    y = np.concatenate([[0.0], overlap[last_of_value]])
    inside = x < max_fpr
    y_at_limit = np.interp(max_fpr, x, y)
    x = np.append(x[inside], max_fpr)
    y = np.append(y[inside], y_at_limit)
    return float(np.trapz(y, x) / max_fpr)


def pro_as_stfpm_code(maps, masks, max_fpr, steps=4000):
    scores = np.stack(maps).ravel()
    region_ids, offset = [], 0
    for mask in masks:
        labelled, count = ndimage.label(mask, structure=np.ones((3, 3)))
        region_ids.append(np.where(labelled > 0, labelled + offset, 0).ravel())
        offset += count
    region_ids = np.concatenate(region_ids)
    sizes = np.bincount(region_ids, minlength=offset + 1)[1:]
    normal = region_ids == 0
    top, bottom = scores.max(), scores.min()
    fprs, overlaps = [], []
    for step in range(steps):
        above = scores > top - step * (top - bottom) / steps
        fprs.append(np.count_nonzero(above & normal) / np.count_nonzero(normal))
        overlaps.append(np.mean(np.bincount(region_ids[above], minlength=offset + 1)[1:] / sizes))
    fprs, overlaps = np.asarray(fprs), np.asarray(overlaps)
    kept = fprs <= max_fpr
    x, y = fprs[kept], overlaps[kept]
    return float(np.trapz((y - y.min()) / (y.max() - y.min()), (x - x.min()) / (x.max() - x.min())))


def main():
    with open(sys.argv[1]) as f:
        fixture = json.load(f)
    image = fixture["image"]
    scores = np.asarray(image["scores"], dtype=np.float64)
    labels = np.asarray(image["labels"], dtype=bool)
    f1, threshold = f1_optimal(scores, labels)
    pixel = fixture["pixel"]
    shape = (pixel["height"], pixel["width"])
    maps = [np.asarray(m, dtype=np.float32).reshape(shape).astype(np.float64) for m in pixel["maps"]]
    masks = [np.asarray(m, dtype=bool).reshape(shape) for m in pixel["masks"]]
    print(json.dumps({
        "imageAuroc": roc_auc_score(labels, scores),
        "f1": f1,
        "f1Threshold": threshold,
        "pixelAuroc": roc_auc_score(np.concatenate([m.ravel() for m in masks]),
                                    np.concatenate([m.ravel() for m in maps])),
        "pro": pro(maps, masks, fixture["maxFpr"]),
        "proAsStfpmCode": pro_as_stfpm_code(maps, masks, fixture["maxFpr"]),
        "ks": stats.ks_2samp(fixture["ks"]["a"], fixture["ks"]["b"]).statistic,
    }))


if __name__ == "__main__":
    main()
