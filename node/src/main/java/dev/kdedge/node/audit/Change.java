package dev.kdedge.node.audit;

import java.time.Instant;

/**
 * One change to what the node decides, as the audit trail keeps it.
 *
 * @param action what was done: promote, rollback, threshold, threshold-policy, review
 * @param product the product it was done to
 * @param subject what of the product, where it was not the product itself: a result ({@code result 42}) for a review
 * @param before and {@code after}: the state it changed, in words an engineer reads ("version 3", "OK")
 */
public record Change(long changeId, Instant at, Actor who, String action, String product, String subject, String before,
        String after) {}
