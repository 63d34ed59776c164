"""A camera process on the node's machine, with Python's grpcio: streams frames as shared frames (README "Shared frames").

Usage: shared_frame_camera.py STUBS_DIR ADDRESS PRODUCT FRAME_DIR RING WIDTH HEIGHT RAW_GRAY8_FILE...
Sends each RAW_GRAY8_FILE's pixels in turn on one InspectStream: each frame is written into one of RING files in
FRAME_DIR (cam-0.raw .. cam-<RING-1>.raw) and named in its request; a file is written again only once the result
of the frame it held has come, so at most RING frames are in flight. Prints one JSON line per result, in the order
the results come.
"""
import json
import queue
import sys
import threading

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from kdedge.v1 import inspection_pb2, inspection_pb2_grpc  # noqa: E402


def main():
    address, product, frame_dir = sys.argv[2], sys.argv[3], sys.argv[4]
    ring, width, height = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    sources = [open(path, "rb").read() for path in sys.argv[8:]]
    free_slots = queue.Queue()
    for slot in range(ring):
        free_slots.put(slot)
    slot_of = {}
    lock = threading.Lock()

    def frames():
        for frame_id, pixels in enumerate(sources, start=1):
            slot = free_slots.get()
            name = f"cam-{slot}.raw"
            with open(f"{frame_dir}/{name}", "wb") as f:
                f.write(pixels)
            with lock:
                slot_of[frame_id] = slot
            yield inspection_pb2.FrameRequest(frame_id=frame_id, request=inspection_pb2.ScoreRequest(
                product=product, image=inspection_pb2.Image(shared=inspection_pb2.SharedFrame(
                    name=name, format=inspection_pb2.RawImage.GRAY8, width=width, height=height))))

    with grpc.insecure_channel(address) as channel:
        stub = inspection_pb2_grpc.InspectionStub(channel)
        try:
            for result in stub.InspectStream(frames(), timeout=120):
                with lock:
                    free_slots.put(slot_of.pop(result.frame_id))
                if result.HasField("error"):
                    print(json.dumps({"frame_id": result.frame_id, "error": result.error.message}), flush=True)
                else:
                    print(json.dumps({"frame_id": result.frame_id, "raw_score": result.result.verdict.raw_score}),
                          flush=True)
        except grpc.RpcError as e:
            print(f"{e.code().name}: {e.details()}", file=sys.stderr)
            sys.exit(3)


if __name__ == "__main__":
    main()
