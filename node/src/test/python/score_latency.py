"""Round trip of Score calls with Python's grpcio (C-core gRPC), against the node's own stage times.

Usage: score_latency.py STUBS_DIR ADDRESS PRODUCT FOLDER CALLS [--raw | --shared-dir DIR]
Sends the folder's images in turn at concurrency 1: 5 untimed calls, then CALLS timed ones. The files go as they are
(PNG/JPEG, decoded by the node), or with --raw decoded here (Pillow) and sent as GRAY8 or RGB8 pixels, as a camera
delivering frames does, or with --shared-dir decoded and written to files in DIR (the node's server.sharedFrameDir),
named in the requests as shared frames (removed at the end). Prints the medians: round trip, the node's decode-to-reply time, its stages, what the
round trip spends outside the node's stages, and the round trip over the graph's time (inference + map).
Stubs: python3 -m grpc_tools.protoc -I proto/src/main/proto --python_out=STUBS --grpc_python_out=STUBS \
       proto/src/main/proto/kdedge/v1/inspection.proto
"""
import os
import statistics
import sys
import time

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from PIL import Image  # noqa: E402
from kdedge.v1 import inspection_pb2, inspection_pb2_grpc  # noqa: E402

WARMUP = 5


def request(product, path, raw, shared_file):
    if not raw and not shared_file:
        with open(path, "rb") as f:
            return inspection_pb2.ScoreRequest(product=product, image=inspection_pb2.Image(encoded=f.read()))
    image = Image.open(path)
    image = image.convert("L") if image.mode in ("L", "I", "1", "P") else image.convert("RGB")
    pixel_format = inspection_pb2.RawImage.GRAY8 if image.mode == "L" else inspection_pb2.RawImage.RGB8
    if shared_file:
        with open(shared_file, "wb") as f:
            f.write(image.tobytes())
        shared = inspection_pb2.SharedFrame(name=os.path.basename(shared_file), format=pixel_format,
                                            width=image.width, height=image.height)
        return inspection_pb2.ScoreRequest(product=product, image=inspection_pb2.Image(shared=shared))
    pixels = inspection_pb2.RawImage(format=pixel_format, width=image.width, height=image.height,
                                     pixels=image.tobytes())
    return inspection_pb2.ScoreRequest(product=product, image=inspection_pb2.Image(raw=pixels))


def main():
    address, product, folder, calls = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    raw = "--raw" in sys.argv[6:]
    shared_dir = sys.argv[sys.argv.index("--shared-dir") + 1] if "--shared-dir" in sys.argv else None
    names = sorted(os.listdir(folder))
    shared_files = [os.path.join(shared_dir, f"pylatency-{i}.raw") for i in range(len(names))] if shared_dir else []
    requests = [request(product, os.path.join(folder, name), raw, shared_files[i] if shared_dir else None)
                for i, name in enumerate(names)]
    limits = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
    rows = []
    with grpc.insecure_channel(address, options=limits) as channel:
        stub = inspection_pb2_grpc.InspectionStub(channel)
        for i in range(WARMUP + calls):
            started = time.perf_counter()
            timings = stub.Score(requests[i % len(requests)], timeout=60).verdict.timings
            round_trip = (time.perf_counter() - started) * 1000
            if i >= WARMUP:
                rows.append((round_trip, timings.total_ms, timings.decode_ms, timings.inference_ms,
                             timings.anomaly_map_ms))
    for shared_file in shared_files:
        os.remove(shared_file)
    trip, total, decode, inference, anomaly_map = (statistics.median(column) for column in zip(*rows))
    kind = " shared" if shared_dir else " raw" if raw else ""
    print(f"{folder}{kind}: {requests[0].ByteSize()} bytes a request, {calls} calls: round trip "
          f"{trip:.1f} ms, decode to reply {total:.1f} ms (decode {decode:.1f}, inference {inference:.1f}, map "
          f"{anomaly_map:.1f}), outside the node's stages {trip - total:.1f} ms, round trip / graph "
          f"{trip / (inference + anomaly_map):.2f}")


if __name__ == "__main__":
    main()
