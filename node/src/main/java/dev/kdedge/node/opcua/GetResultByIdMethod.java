package dev.kdedge.node.opcua;

import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ResultRecord;
import dev.kdedge.node.security.CallKind;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.ULong;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

/**
 * GetResultById(ResultId): one of the station's results from the journal, also one that left its buffer unread.
 * Bad_NotFound for an id the journal does not hold (never given, or removed by retention) or another station's.
 */
final class GetResultByIdMethod extends StationMethod {
    private static final Argument RESULT_ID = new Argument("ResultId", NodeIds.UInt64, ValueRanks.Scalar, null,
            LocalizedText.english("The result's id, as ResultReady and LatestResult give it"));
    private static final long JOURNAL_READ_SECONDS = 5;

    private final ResultJournal journal;
    private final ResultFields fields;

    GetResultByIdMethod(UaMethodNode node, String station, SessionAccess access, ResultJournal journal,
            ResultFields fields) {
        super(node, station, access, CallKind.READ_RESULTS, new Argument[] {RESULT_ID}, fields.arguments());
        this.journal = journal;
        this.fields = fields;
    }

    @Override
    Variant[] call(Variant[] inputs) throws UaException {
        long resultId = required(inputs, 0, ULong.class).longValue();
        Optional<ResultRecord> result = read(resultId).filter(r -> r.partResult()
                && r.part().station().equals(station));
        return fields.values(result.orElseThrow(() -> new UaException(StatusCodes.Bad_NotFound, "station '" + station
                + "' has no result " + resultId + " in the journal")));
    }

    /** Milo calls methods on its own executor, never on the node's event loops: waiting for the journal is allowed. */
    private Optional<ResultRecord> read(long resultId) throws UaException {
        try {
            return journal.byId(resultId).get(JOURNAL_READ_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UaException(StatusCodes.Bad_Timeout, "interrupted while reading the journal");
        } catch (TimeoutException e) {
            throw new UaException(StatusCodes.Bad_Timeout, "the journal did not answer within "
                    + JOURNAL_READ_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new UaException(StatusCodes.Bad_InternalError, "the journal could not be read: "
                    + e.getCause().getMessage());
        }
    }
}
