"""What moving one raw frame through gRPC costs, with no model behind it: the floor under Score's round trip.

Usage: transport_floor.py STUBS_DIR (ADDRESS | --python-server) BYTES CALLS
Sends a Score request carrying a GRAY8 frame of BYTES pixels at concurrency 1 (5 untimed calls, then CALLS timed
ones) and prints the median round trip. With ADDRESS, to a node, for a product it does not have: the node reads and
parses the whole message, then answers NOT_FOUND. With --python-server, to a gRPC server of Python's own (C-core on
both sides) started here, whose handler takes the message's bytes unparsed and answers at once: the protocol's cost
on this machine with this client, which no server beats.
Stubs: python3 -m grpc_tools.protoc -I proto/src/main/proto --python_out=STUBS --grpc_python_out=STUBS \
       proto/src/main/proto/kdedge/v1/inspection.proto
"""
import statistics
import sys
import time
from concurrent import futures

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from kdedge.v1 import inspection_pb2  # noqa: E402

WARMUP = 5
METHOD = "/kdedge.v1.Inspection/Score"
LIMITS = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]


def median_round_trip(address, request, calls):
    with grpc.insecure_channel(address, options=LIMITS) as channel:
        score = channel.unary_unary(METHOD, request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=lambda b: b)
        times = []
        for i in range(WARMUP + calls):
            started = time.perf_counter()
            try:
                score(request, timeout=60)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            if i >= WARMUP:
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)


def main():
    target, size, calls = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    width = 1000
    pixels = inspection_pb2.RawImage(format=inspection_pb2.RawImage.GRAY8, width=width, height=size // width,
                                     pixels=bytes(width * (size // width)))
    request = inspection_pb2.ScoreRequest(product="no-such-product", image=inspection_pb2.Image(raw=pixels))
    if target != "--python-server":
        print(f"node {target}: {request.ByteSize()} bytes a request, {calls} calls: "
              f"round trip {median_round_trip(target, request, calls):.1f} ms")
        return
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=LIMITS)
    answer = grpc.unary_unary_rpc_method_handler(lambda message, context: b"", request_deserializer=None,
                                                 response_serializer=None)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("kdedge.v1.Inspection",
                                                                         {"Score": answer}),))
    port = server.add_insecure_port("localhost:0")
    server.start()
    try:
        print(f"Python's own server: {request.ByteSize()} bytes a request, {calls} calls: "
              f"round trip {median_round_trip(f'localhost:{port}', request, calls):.1f} ms")
    finally:
        server.stop(0)


if __name__ == "__main__":
    main()
