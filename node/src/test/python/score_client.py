"""Scores one image on a KD-Edge node with Python's grpcio: a client from another codebase.

Usage: score_client.py STUBS_DIR ADDRESS PRODUCT IMAGE
Prints the verdict as JSON on one line; exits 3 with the status on stderr if the call fails.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from kdedge.v1 import inspection_pb2, inspection_pb2_grpc  # noqa: E402


def main():
    address, product, image = sys.argv[2], sys.argv[3], sys.argv[4]
    with open(image, "rb") as f:
        encoded = f.read()
    with grpc.insecure_channel(address) as channel:
        stub = inspection_pb2_grpc.InspectionStub(channel)
        request = inspection_pb2.ScoreRequest(product=product, image=inspection_pb2.Image(encoded=encoded))
        try:
            verdict = stub.Score(request, timeout=30).verdict
        except grpc.RpcError as e:
            print(f"{e.code().name}: {e.details()}", file=sys.stderr)
            sys.exit(3)
    print(json.dumps({
        "product": verdict.product,
        "model_version": verdict.model_version,
        "raw_score": verdict.raw_score,
        "is_anomalous": verdict.is_anomalous,
        "threshold": verdict.threshold,
    }))


if __name__ == "__main__":
    main()
