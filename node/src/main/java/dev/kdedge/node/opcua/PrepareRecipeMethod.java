package dev.kdedge.node.opcua;

import dev.kdedge.node.line.Stations;
import dev.kdedge.node.security.CallKind;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

/**
 * PrepareRecipe(Product): the station's following frames are scored against the product. Bad_NotFound for a product
 * the node does not have, Bad_InvalidState for one it cannot score now (its active version failed to load).
 */
final class PrepareRecipeMethod extends StationMethod {
    private static final Argument PRODUCT = new Argument("Product", NodeIds.String, ValueRanks.Scalar, null,
            LocalizedText.english("The product (recipe) to score the station's following frames against"));

    private final Stations stations;

    PrepareRecipeMethod(UaMethodNode node, String station, SessionAccess access, Stations stations) {
        super(node, station, access, CallKind.LINE_CONTROL, new Argument[] {PRODUCT}, new Argument[0]);
        this.stations = stations;
    }

    @Override
    Variant[] call(Variant[] inputs) throws UaException {
        stations.prepareRecipe(station, required(inputs, 0, String.class));
        return new Variant[0];
    }
}
