package dev.kdedge.node.opcua;

import dev.kdedge.node.line.Station;
import dev.kdedge.node.line.StationResults;
import dev.kdedge.node.line.Stations;
import dev.kdedge.node.results.ResultJournal;
import dev.kdedge.node.results.ResultRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.QualifiedProperty;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.EventListener;
import org.eclipse.milo.opcua.sdk.server.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.ObjectTypeManager;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.EventItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.model.objects.BaseEventTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaDataTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaFolderNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.nodes.filters.AttributeFilters;
import org.eclipse.milo.opcua.sdk.server.util.SubscriptionModel;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UInteger;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.ULong;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UShort;
import org.eclipse.milo.opcua.stack.core.types.structured.EnumDefinition;
import org.eclipse.milo.opcua.stack.core.types.structured.EnumField;
import org.eclipse.milo.opcua.stack.core.util.NonceUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ubyte;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ulong;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ushort;

/**
 * The stations as a PLC programmer maps them to tags (README "OPC UA"): {@code Stations/<station>} with its State,
 * Recipe, ModelVersion, the handshake's buffer (UnacknowledgedCount, UnacknowledgedResultIds, Overrun, BufferSize),
 * its LatestResult's fields, the methods PrepareRecipe, AcknowledgeResults and GetResultById, and a ResultReady event
 * for each part's result. Every variable is read from the stations when a client reads or samples it, so none can
 * disagree with the gRPC Line service; only the event is pushed.
 */
final class LineNamespace extends ManagedNamespaceWithLifecycle {
    static final String URI = "urn:kdedge:line";
    private static final Logger LOG = LoggerFactory.getLogger(LineNamespace.class);
    private static final List<String> STATES = List.of("Ready", "Busy", "Error");
    private static final List<String> EVALUATIONS = List.of("Undefined", "OK", "NotOK", "NotDecidable");
    private static final UShort SEVERITY = ushort(100);

    private final Stations stations;
    private final Optional<ResultJournal> journal;
    private final SessionAccess access;
    private final double minimumSamplingMillis;
    private final SubscriptionModel subscriptions;
    private final Map<UInteger, EventListener> stationEventItems = new ConcurrentHashMap<>();
    private final Map<String, NodeId> stationNodes = new ConcurrentHashMap<>();
    private NodeId resultReadyType;
    private ResultFields fields;
    private List<QualifiedProperty<Object>> eventFields;
    private QualifiedProperty<Object> stationField;

    LineNamespace(OpcUaServer server, Stations stations, Optional<ResultJournal> journal, SessionAccess access,
            double minimumSamplingMillis) {
        super(server, URI);
        this.stations = stations;
        this.journal = journal;
        this.access = access;
        this.minimumSamplingMillis = minimumSamplingMillis;
        this.subscriptions = new SubscriptionModel(server, this);
        getLifecycleManager().addLifecycle(subscriptions);
        getLifecycleManager().addStartupTask(this::addNodes);
    }

    private void addNodes() {
        NodeId stateType = enumeration("StationStateEnum", STATES);
        fields = new ResultFields(enumeration("ResultEvaluationEnum", EVALUATIONS));
        addResultReadyType();
        UaFolderNode folder = new UaFolderNode(getNodeContext(), newNodeId("Stations"), newQualifiedName("Stations"),
                LocalizedText.english("Stations"));
        getNodeManager().addNode(folder);
        folder.addReference(new Reference(folder.getNodeId(), NodeIds.Organizes, NodeIds.ObjectsFolder.expanded(),
                false));
        for (Station station : stations.all()) {
            addStation(folder, station, stateType);
        }
        stations.onResult(this::resultReady);
    }

    private void addStation(UaFolderNode folder, Station station, NodeId stateType) {
        String path = "Stations/" + station.name();
        UaObjectNode node = new UaObjectNode.UaObjectNodeBuilder(getNodeContext()).setNodeId(newNodeId(path))
                .setBrowseName(newQualifiedName(station.name())).setDisplayName(LocalizedText.english(station.name()))
                .setTypeDefinition(NodeIds.BaseObjectType).setEventNotifier(ubyte(1)).build();
        getNodeManager().addNode(node);
        folder.addOrganizes(node);
        stationNodes.put(station.name(), node.getNodeId());
        StationResults results = station.results();
        variable(node, path, "State", stateType, "Ready (0), Busy (1): a frame is being scored, Error (2): its recipe "
                + "cannot be scored now", () -> Variant.ofInt32(stations.state(station).ordinal()));
        variable(node, path, "Recipe", NodeIds.String, "The product its frames are scored against; empty until one "
                + "is prepared", () -> Variant.ofString(station.recipe()));
        variable(node, path, "ModelVersion", NodeIds.UInt32, "The recipe's active version; 0 without a recipe",
                () -> Variant.ofUInt32(uint(stations.modelVersion(station).orElse(0))));
        variable(node, path, "Overrun", NodeIds.Boolean, "A result found the buffer full and pushed the oldest "
                + "out; cleared by AcknowledgeResults", () -> Variant.ofBoolean(results.overrun()));
        variable(node, path, "UnacknowledgedCount", NodeIds.UInt32, "Results not acknowledged yet, at most "
                + "BufferSize", () -> Variant.ofUInt32(uint(results.unacknowledged().size())));
        UaVariableNode ids = variable(node, path, "UnacknowledgedResultIds", NodeIds.UInt64, "Their ids, oldest first",
                () -> new Variant(results.unacknowledged().stream().map(r -> ulong(r.resultId()))
                        .toArray(ULong[]::new)));
        ids.setValueRank(ValueRanks.OneDimension);
        ids.setArrayDimensions(new UInteger[] {uint(0)});
        variable(node, path, "BufferSize", NodeIds.UInt32, "Results the station keeps for the PLC",
                () -> Variant.ofUInt32(uint(results.capacity())));

        String latestPath = path + "/LatestResult";
        UaObjectNode latest = new UaObjectNode.UaObjectNodeBuilder(getNodeContext()).setNodeId(newNodeId(latestPath))
                .setBrowseName(newQualifiedName("LatestResult")).setDisplayName(LocalizedText.english("LatestResult"))
                .setTypeDefinition(NodeIds.BaseObjectType).build();
        getNodeManager().addNode(latest);
        node.addComponent(latest);
        for (ResultFields.Field field : fields.all()) {
            latestField(latest, latestPath, field, results);
        }

        method(node, path, "PrepareRecipe", "Score the station's following frames against a product",
                m -> new PrepareRecipeMethod(m, station.name(), access, stations));
        method(node, path, "AcknowledgeResults", "The PLC has taken the results up to ResultId; clears Overrun",
                m -> new AcknowledgeResultsMethod(m, station.name(), access, stations));
        journal.ifPresent(j -> method(node, path, "GetResultById", "One of the station's results from the journal",
                m -> new GetResultByIdMethod(m, station.name(), access, j, fields)));
    }

    private UaVariableNode variable(UaObjectNode parent, String parentPath, String name, NodeId dataType,
            String description, Supplier<Variant> value) {
        UaVariableNode node = readOnly(parentPath + "/" + name, name, dataType, description)
                .addAttributeFilter(AttributeFilters.getValue(context -> new DataValue(value.get()))).build();
        getNodeManager().addNode(node);
        parent.addComponent(node);
        return node;
    }

    /** Its value is the station's latest result's; Bad_WaitingForInitialData until the station has one. */
    private void latestField(UaObjectNode parent, String parentPath, ResultFields.Field field,
            StationResults results) {
        UaVariableNode node = readOnly(parentPath + "/" + field.name(), field.name(), field.dataType(),
                field.description()).addAttributeFilter(AttributeFilters.getValue(context -> results.latest()
                        .map(result -> new DataValue(field.value().apply(result), StatusCode.GOOD,
                                new DateTime(result.recordedAt())))
                        .orElseGet(() -> new DataValue(new StatusCode(StatusCodes.Bad_WaitingForInitialData)))))
                .build();
        getNodeManager().addNode(node);
        parent.addComponent(node);
    }

    private UaVariableNode.UaVariableNodeBuilder readOnly(String path, String name, NodeId dataType,
            String description) {
        return new UaVariableNode.UaVariableNodeBuilder(getNodeContext()).setNodeId(newNodeId(path))
                .setBrowseName(newQualifiedName(name)).setDisplayName(LocalizedText.english(name))
                .setDescription(LocalizedText.english(description)).setDataType(dataType)
                .setValueRank(ValueRanks.Scalar).setTypeDefinition(NodeIds.BaseDataVariableType)
                .setAccessLevel(AccessLevel.READ_ONLY).setUserAccessLevel(AccessLevel.READ_ONLY)
                .setMinimumSamplingInterval(minimumSamplingMillis);
    }

    private void method(UaObjectNode parent, String parentPath, String name, String description,
            Function<UaMethodNode, StationMethod> handler) {
        UaMethodNode node = UaMethodNode.builder(getNodeContext()).setNodeId(newNodeId(parentPath + "/" + name))
                .setBrowseName(newQualifiedName(name)).setDisplayName(LocalizedText.english(name))
                .setDescription(LocalizedText.english(description)).build();
        StationMethod invocation = handler.apply(node);
        node.setInputArguments(invocation.getInputArguments());
        node.setOutputArguments(invocation.getOutputArguments());
        node.setInvocationHandler(invocation);
        getNodeManager().addNode(node);
        parent.addComponent(node);
    }

    /** An enumeration data type whose values are the positions of {@code names}. */
    private NodeId enumeration(String name, List<String> names) {
        NodeId id = newNodeId("Types/" + name);
        UaDataTypeNode type = new UaDataTypeNode(getNodeContext(), id, newQualifiedName(name),
                LocalizedText.english(name), LocalizedText.NULL_VALUE, uint(0), uint(0), false);
        type.addReference(new Reference(id, NodeIds.HasSubtype, NodeIds.Enumeration.expanded(),
                Reference.Direction.INVERSE));
        getNodeManager().addNode(type);
        type.setEnumStrings(names.stream().map(LocalizedText::english).toArray(LocalizedText[]::new));
        EnumField[] values = new EnumField[names.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = new EnumField((long) i, LocalizedText.english(names.get(i)), LocalizedText.NULL_VALUE,
                    names.get(i));
        }
        type.setDataTypeDefinition(new EnumDefinition(values));
        return id;
    }

    /** ResultReadyEventType: a BaseEventType with the result's fields and the station's name. */
    private void addResultReadyType() {
        resultReadyType = newNodeId("Types/ResultReadyEventType");
        UaObjectTypeNode type = UaObjectTypeNode.builder(getNodeContext()).setNodeId(resultReadyType)
                .setBrowseName(newQualifiedName("ResultReadyEventType"))
                .setDisplayName(LocalizedText.english("ResultReadyEventType")).setIsAbstract(false).build();
        type.addReference(new Reference(resultReadyType, NodeIds.HasSubtype, NodeIds.BaseEventType.expanded(),
                Reference.Direction.INVERSE));
        getNodeManager().addNode(type);
        eventFields = fields.all().stream().map(field -> eventField(type, field.name(), field.dataType())).toList();
        stationField = eventField(type, "Station", NodeIds.String);
        // without it the event factory makes a plain object node, which is no BaseEventTypeNode
        getServer().getObjectTypeManager().registerObjectType(resultReadyType, BaseEventTypeNode.class,
                (ObjectTypeManager.ObjectNodeConstructor) BaseEventTypeNode::new);
    }

    private QualifiedProperty<Object> eventField(UaObjectTypeNode type, String name, NodeId dataType) {
        UaVariableNode declaration = new UaVariableNode.UaVariableNodeBuilder(getNodeContext())
                .setNodeId(newNodeId("Types/ResultReadyEventType/" + name)).setBrowseName(newQualifiedName(name))
                .setDisplayName(LocalizedText.english(name)).setDataType(dataType)
                .setTypeDefinition(NodeIds.PropertyType).build();
        declaration.addReference(new Reference(declaration.getNodeId(), NodeIds.HasModellingRule,
                NodeIds.ModellingRule_Mandatory.expanded(), true));
        declaration.addReference(new Reference(declaration.getNodeId(), NodeIds.HasProperty,
                type.getNodeId().expanded(), false));
        getNodeManager().addNode(declaration);
        return new QualifiedProperty<>(URI, name, dataType.expanded(), ValueRanks.Scalar, Object.class);
    }

    /** Fires ResultReady for a station's result; on the line feed's thread. */
    private void resultReady(Station station, ResultRecord result) {
        BaseEventTypeNode event;
        try {
            event = getServer().getEventFactory().createEvent(newNodeId(UUID.randomUUID()), resultReadyType);
        } catch (UaException e) {
            LOG.warn("no ResultReady event for result {}: {}", result.resultId(), e.getMessage());
            return;
        }
        try {
            event.setBrowseName(newQualifiedName("ResultReady"));
            event.setDisplayName(LocalizedText.english("ResultReady"));
            event.setEventId(NonceUtil.generateNonce(16));
            event.setEventType(resultReadyType);
            event.setSourceNode(stationNodes.get(station.name()));
            event.setSourceName(station.name());
            event.setTime(new DateTime(result.recordedAt()));
            event.setReceiveTime(DateTime.NULL_VALUE);
            event.setMessage(LocalizedText.english("part " + result.part().id() + ": "
                    + EVALUATIONS.get(ResultFields.evaluation(result.evaluation()))));
            event.setSeverity(SEVERITY);
            Variant[] values = fields.values(result);
            for (int i = 0; i < values.length; i++) {
                event.setProperty(eventFields.get(i), values[i].getValue());
            }
            event.setProperty(stationField, station.name());
            getServer().getEventNotifier().fire(event);
        } finally {
            event.delete();
        }
    }

    @Override
    public void onDataItemsCreated(List<DataItem> items) {
        subscriptions.onDataItemsCreated(items);
    }

    @Override
    public void onDataItemsModified(List<DataItem> items) {
        subscriptions.onDataItemsModified(items);
    }

    @Override
    public void onDataItemsDeleted(List<DataItem> items) {
        subscriptions.onDataItemsDeleted(items);
    }

    @Override
    public void onMonitoringModeChanged(List<MonitoredItem> items) {
        subscriptions.onMonitoringModeChanged(items);
        for (MonitoredItem item : items) {
            if (item instanceof EventItem eventItem) {
                onEventItemsModified(List.of(eventItem));
            }
        }
    }

    /*
     * The server hands every fired event to every listener; an item on a station hears only that station's (items on
     * the Server object are the server's own and hear all of them).
     */
    @Override
    public void onEventItemsCreated(List<EventItem> items) {
        items.stream().filter(MonitoredItem::isSamplingEnabled).forEach(this::listen);
    }

    @Override
    public void onEventItemsModified(List<EventItem> items) {
        for (EventItem item : items) {
            stopListening(item);
            if (item.isSamplingEnabled()) {
                listen(item);
            }
        }
    }

    @Override
    public void onEventItemsDeleted(List<EventItem> items) {
        items.forEach(this::stopListening);
    }

    private void listen(EventItem item) {
        NodeId source = item.getReadValueId().getNodeId();
        EventListener listener = event -> {
            if (source.equals(event.getSourceNode())) {
                item.onEvent(event);
            }
        };
        EventListener replaced = stationEventItems.put(item.getId(), listener);
        if (replaced != null) {
            getServer().getEventNotifier().unregister(replaced);
        }
        getServer().getEventNotifier().register(listener);
    }

    private void stopListening(EventItem item) {
        EventListener listener = stationEventItems.remove(item.getId());
        if (listener != null) {
            getServer().getEventNotifier().unregister(listener);
        }
    }
}
