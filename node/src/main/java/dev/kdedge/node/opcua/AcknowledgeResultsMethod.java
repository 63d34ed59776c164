package dev.kdedge.node.opcua;

import dev.kdedge.node.line.Stations;
import dev.kdedge.node.security.CallKind;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.ULong;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

/** AcknowledgeResults(ResultId): the PLC has taken the station's results up to this one; clears Overrun. */
final class AcknowledgeResultsMethod extends StationMethod {
    private static final Argument RESULT_ID = new Argument("ResultId", NodeIds.UInt64, ValueRanks.Scalar, null,
            LocalizedText.english("The last result the PLC has taken: it and every earlier one are acknowledged"));
    private static final Argument ACKNOWLEDGED = new Argument("Acknowledged", NodeIds.UInt32, ValueRanks.Scalar, null,
            LocalizedText.english("How many results left the station's buffer"));

    private final Stations stations;

    AcknowledgeResultsMethod(UaMethodNode node, String station, SessionAccess access, Stations stations) {
        super(node, station, access, CallKind.LINE_CONTROL, new Argument[] {RESULT_ID},
                new Argument[] {ACKNOWLEDGED});
        this.stations = stations;
    }

    @Override
    Variant[] call(Variant[] inputs) throws UaException {
        long resultId = required(inputs, 0, ULong.class).longValue();
        return new Variant[] {Variant.ofUInt32(uint(stations.acknowledge(station, resultId)))};
    }
}
