// A PLC for the node's OPC UA tests: node-opcua's client connects to one station of the node, then takes one JSON
// command a line on stdin and answers one JSON line on stdout per command; ResultReady events and monitored values
// are printed as they come. The Java test drives it (OpcUaLineTest) and so does the latency benchmark.
//
//   node plc.js ENDPOINT STATION CERT.pem KEY.pem APPLICATION_URI SERVER_CERT.pem PKI_DIR [MODE] [POLICY]
//
// Commands: {"cmd":"subscribe","publishingInterval":10}  ResultReady events of the station and its State/Overrun
//           {"cmd":"read","names":["State","LatestResult/PartId"]}
//           {"cmd":"call","method":"PrepareRecipe","args":[["String","demo"]]}
//           {"cmd":"monitorMany","count":1000}  as many monitored items at once, to see the limit
//           {"cmd":"close"}
"use strict";
const fs = require("fs");
const readline = require("readline");
const {
    OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, TimestampsToReturn,
    DataType, VariantArrayType, constructEventFilter, ClientMonitoredItem, ClientMonitoredItemGroup,
} = require("node-opcua-client");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");

const [endpoint, station, certificateFile, privateKeyFile, applicationUri, serverCertificate, pki,
    mode = "SignAndEncrypt", policy = "Basic256Sha256"] = process.argv.slice(2);
const FIELDS = ["ResultId", "PartId", "Product", "Evaluation", "NormalizedScore", "ModelVersion", "Station"];

function say(message) {
    process.stdout.write(JSON.stringify(message, (k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n");
}

function plain(value) {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "number") {
        return (BigInt(value[0]) * 4294967296n + BigInt(value[1])).toString(); // node-opcua's UInt64 [high, low]
    }
    if (ArrayBuffer.isView(value) || Array.isArray(value)) return Array.from(value, plain);
    if (value instanceof Date) return value.toISOString();
    return value;
}

function derOf(pemFile) {
    const pem = fs.readFileSync(pemFile, "ascii");
    return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

async function main() {
    const certificates = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false });
    await certificates.initialize();
    await certificates.trustCertificate(derOf(serverCertificate));
    const client = OPCUAClient.create({
        applicationName: "kdedge-test-plc", applicationUri, certificateFile, privateKeyFile,
        clientCertificateManager: certificates, securityMode: MessageSecurityMode[mode],
        securityPolicy: SecurityPolicy[policy], endpointMustExist: false,
        connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    });
    let session;
    try {
        await client.connect(endpoint);
        session = await client.createSession();
    } catch (e) {
        say({ event: "refused", message: String(e.message || e) });
        await client.disconnect().catch(() => {});
        process.exit(3);
    }
    const namespaces = await session.readNamespaceArray();
    const ns = namespaces.indexOf("urn:kdedge:line");
    const node = (name) => `ns=${ns};s=Stations/${station}` + (name ? "/" + name : "");
    say({ event: "connected", namespace: ns });
    let subscription;

    const commands = {
        async subscribe(command) {
            subscription = await session.createSubscription2({
                requestedPublishingInterval: command.publishingInterval, requestedLifetimeCount: 6000,
                requestedMaxKeepAliveCount: 100, maxNotificationsPerPublish: 1000, publishingEnabled: true,
                priority: 10,
            });
            const filter = constructEventFilter(FIELDS.map((f) => `${ns}:${f}`));
            const events = ClientMonitoredItem.create(subscription,
                { nodeId: node(), attributeId: AttributeIds.EventNotifier },
                { queueSize: 1000, discardOldest: false, filter, samplingInterval: 0 }, TimestampsToReturn.Neither);
            events.on("err", (message) => say({ event: "monitoringFailed", item: "ResultReady", message }));
            events.on("changed", (fields) => {
                const receivedAt = performance.timeOrigin + performance.now();
                const event = { event: "resultReady", receivedAt };
                FIELDS.forEach((f, i) => { event[f] = plain(fields[i].value); });
                say(event);
            });
            const monitored = [events];
            for (const name of ["State", "Overrun", "UnacknowledgedCount"]) {
                const item = ClientMonitoredItem.create(subscription,
                    { nodeId: node(name), attributeId: AttributeIds.Value },
                    { queueSize: 100, discardOldest: true, samplingInterval: command.publishingInterval },
                    TimestampsToReturn.Both);
                item.on("changed", (value) => say({ event: "changed", name, value: plain(value.value.value),
                    status: value.statusCode.name }));
                monitored.push(item);
            }
            // answered once the node monitors them all: a part scored after the answer is heard
            await Promise.all(monitored.map((item) => new Promise((resolve) => {
                item.once("initialized", resolve);
                item.once("err", resolve);
            })));
            return { publishingInterval: subscription.publishingInterval };
        },
        async read(command) {
            const values = await session.read(command.names.map((name) => ({
                nodeId: node(name), attributeId: AttributeIds.Value })));
            const answer = {};
            command.names.forEach((name, i) => {
                answer[name] = { value: plain(values[i].value.value), status: values[i].statusCode.name };
            });
            return { values: answer };
        },
        async call(command) {
            const result = await session.call({
                objectId: node(), methodId: node(command.method),
                inputArguments: command.args.map(([type, value]) => ({ dataType: DataType[type],
                    arrayType: VariantArrayType.Scalar, value: type === "UInt64" ? [0, Number(value)] : value })),
            });
            return { status: result.statusCode.name,
                outputs: (result.outputArguments || []).map((v) => plain(v.value)) };
        },
        async monitorMany(command) {
            const many = await session.createSubscription2({ requestedPublishingInterval: 1000,
                requestedLifetimeCount: 60, requestedMaxKeepAliveCount: 10, publishingEnabled: true });
            const items = [];
            for (let i = 0; i < command.count; i++) items.push({ nodeId: node("State"), attributeId: AttributeIds.Value });
            const group = ClientMonitoredItemGroup.create(many, items, { samplingInterval: 1000, queueSize: 1 },
                TimestampsToReturn.Neither);
            const statuses = {};
            await new Promise((resolve) => { group.on("initialized", resolve); group.on("err", resolve); });
            for (const item of group.monitoredItems) {
                const name = item.statusCode ? item.statusCode.name : "Good";
                statuses[name] = (statuses[name] || 0) + 1;
            }
            await many.terminate().catch(() => {});
            return { statuses };
        },
        async close() {
            await session.close();
            await client.disconnect();
            return {};
        },
    };

    const lines = readline.createInterface({ input: process.stdin });
    for await (const line of lines) {
        if (!line.trim()) continue;
        const command = JSON.parse(line);
        try {
            say({ event: "answer", cmd: command.cmd, ...(await commands[command.cmd](command)) });
        } catch (e) {
            say({ event: "answer", cmd: command.cmd, error: String(e.message || e) });
        }
        if (command.cmd === "close") process.exit(0);
    }
}

main().catch((e) => {
    say({ event: "failed", message: String(e.stack || e) });
    process.exit(1);
});
