package dev.kdedge.node.opcua;

import dev.kdedge.node.inspection.Evaluation;
import dev.kdedge.node.results.ResultRecord;
import java.util.List;
import java.util.function.Function;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ulong;

/**
 * A part's result as a PLC reads it, the same fields wherever it appears: a station's LatestResult variables, the
 * ResultReady event and GetResultById's outputs. Evaluation is OPC 40001-101's ResultEvaluationEnum.
 */
final class ResultFields {
    /** One field: its browse name, its data type and its value in a result. */
    record Field(String name, NodeId dataType, String description, Function<ResultRecord, Variant> value) {}

    /** ResultEvaluationEnum's values (OPC 40001-101); Undefined until a station has a result. */
    static final int UNDEFINED = 0;

    private final List<Field> fields;

    /** @param evaluationType the namespace's ResultEvaluationEnum data type */
    ResultFields(NodeId evaluationType) {
        fields = List.of(
                new Field("ResultId", NodeIds.UInt64, "The result's id in the journal: grows with every result",
                        r -> Variant.ofUInt64(ulong(r.resultId()))),
                new Field("PartId", NodeIds.String, "The part's id, as the camera named it",
                        r -> Variant.ofString(r.part().id())),
                new Field("Product", NodeIds.String, "The product (recipe) it was scored against",
                        r -> Variant.ofString(r.product())),
                new Field("Evaluation", evaluationType, "OK (1), NotOK (2) or NotDecidable (3)",
                        r -> Variant.ofInt32(evaluation(r.evaluation()))),
                new Field("NormalizedScore", NodeIds.Double, "0..1, 0.5 at the product's threshold: above it is NotOK",
                        r -> Variant.ofDouble(r.normalizedScore())),
                new Field("ModelVersion", NodeIds.UInt32, "The product's version that scored it",
                        r -> Variant.ofUInt32(uint(r.version()))),
                new Field("Time", NodeIds.DateTime, "When it was recorded",
                        r -> Variant.ofDateTime(new DateTime(r.recordedAt()))));
    }

    List<Field> all() {
        return fields;
    }

    Argument[] arguments() {
        return fields.stream().map(field -> new Argument(field.name(), field.dataType(), ValueRanks.Scalar, null,
                LocalizedText.english(field.description()))).toArray(Argument[]::new);
    }

    Variant[] values(ResultRecord result) {
        return fields.stream().map(field -> field.value().apply(result)).toArray(Variant[]::new);
    }

    static int evaluation(Evaluation evaluation) {
        return switch (evaluation) {
            case OK -> 1;
            case NOT_OK -> 2;
            case NOT_DECIDABLE -> 3;
        };
    }
}
