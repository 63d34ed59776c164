"""Scores one image on a KD-Edge node with Python's grpcio: a client from another codebase.

Usage: score_client.py STUBS_DIR ADDRESS PRODUCT IMAGE [CA_PEM CERT_PEM KEY_PEM]
With the three PEM files it connects with mutual TLS, without them in plaintext.
Prints the verdict as JSON on one line; exits 3 with "CODE: details" on stderr if the call fails.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from kdedge.v1 import inspection_pb2, inspection_pb2_grpc  # noqa: E402


def channel(address, tls_files):
    if not tls_files:
        return grpc.insecure_channel(address)
    ca, cert, key = (open(path, "rb").read() for path in tls_files)
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    return grpc.secure_channel(address, credentials)


def main():
    address, product, image = sys.argv[2], sys.argv[3], sys.argv[4]
    with open(image, "rb") as f:
        encoded = f.read()
    with channel(address, sys.argv[5:8]) as ch:
        stub = inspection_pb2_grpc.InspectionStub(ch)
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
