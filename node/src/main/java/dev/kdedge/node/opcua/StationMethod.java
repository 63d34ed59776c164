package dev.kdedge.node.opcua;

import dev.kdedge.node.inspection.RejectedRequestException;
import dev.kdedge.node.inspection.Rejection;
import dev.kdedge.node.security.CallKind;
import java.util.Optional;
import org.eclipse.milo.opcua.sdk.server.Session;
import org.eclipse.milo.opcua.sdk.server.methods.AbstractMethodInvocationHandler;
import org.eclipse.milo.opcua.sdk.server.methods.InvalidArgumentException;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

/**
 * A method of a station's object. The session's roles are checked first (Bad_UserAccessDenied naming the role the
 * method needs); a station's refusal becomes the OPC UA status that says the same, with its message.
 */
abstract class StationMethod extends AbstractMethodInvocationHandler {
    private final SessionAccess access;
    private final CallKind kind;
    private final Argument[] inputs;
    private final Argument[] outputs;
    final String station;

    StationMethod(UaMethodNode node, String station, SessionAccess access, CallKind kind, Argument[] inputs,
            Argument[] outputs) {
        super(node);
        this.station = station;
        this.access = access;
        this.kind = kind;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    @Override
    public final Argument[] getInputArguments() {
        return inputs.clone();
    }

    @Override
    public final Argument[] getOutputArguments() {
        return outputs.clone();
    }

    @Override
    protected final Variant[] invoke(InvocationContext context, Variant[] inputs) throws UaException {
        Optional<Session> session = context.getSession();
        if (session.isPresent()) {
            Optional<String> refusal = access.refusal(session.get(), kind, getNode().getBrowseName().getName());
            if (refusal.isPresent()) {
                throw new UaException(StatusCodes.Bad_UserAccessDenied, refusal.get());
            }
        }
        try {
            return call(inputs);
        } catch (RejectedRequestException e) {
            throw new UaException(status(e.reason()), e.getMessage());
        }
    }

    /** The method's work, once the session may call it; inputs have the declared types, but may be null. */
    abstract Variant[] call(Variant[] inputs) throws UaException;

    /** The value of a required input; a null one is refused Bad_InvalidArgument (on that argument). */
    static <T> T required(Variant[] inputs, int index, Class<T> type) throws InvalidArgumentException {
        Object value = inputs[index].getValue();
        if (!type.isInstance(value)) {
            StatusCode[] results = new StatusCode[inputs.length];
            for (int i = 0; i < results.length; i++) {
                results[i] = i == index ? new StatusCode(StatusCodes.Bad_InvalidArgument) : StatusCode.GOOD;
            }
            throw new InvalidArgumentException(results);
        }
        return type.cast(value);
    }

    private static long status(Rejection rejection) {
        return switch (rejection) {
            case INVALID_ARGUMENT -> StatusCodes.Bad_InvalidArgument;
            case NOT_FOUND -> StatusCodes.Bad_NotFound;
            case FAILED_PRECONDITION -> StatusCodes.Bad_InvalidState;
            case RESOURCE_EXHAUSTED, UNAVAILABLE -> StatusCodes.Bad_ResourceUnavailable;
            case DEADLINE_EXCEEDED -> StatusCodes.Bad_Timeout;
            case CANCELLED, INTERNAL -> StatusCodes.Bad_InternalError;
        };
    }
}
