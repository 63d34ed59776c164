package dev.kdedge.node.inspection;

/** What was decided for an image or a part, as the OPC UA machine vision specifications name it. */
public enum Evaluation {
    OK,
    NOT_OK,
    /** No decision could be made: the score lies in the product's review band, or a view failed or never came. */
    NOT_DECIDABLE
}
