#!/usr/bin/python3
"""An independent ediff client: Debian's python3-grpcio with messages from `protoc --python_out`.

usage: generate_client.py GENERATED_DIR COORDINATOR PROMPT SIZE SEED OUT.png

Calls ediff.v1.Coordinator/Generate, writes the PNG, then sends a bad request (an unknown
sampler) and prints one JSON line: what it saw.
"""
import json
import sys

import grpc

sys.path.insert(0, sys.argv[1])
from ediff.v1 import coordinator_pb2  # noqa: E402  (generated into GENERATED_DIR)

address, prompt, size, seed, out = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
generate = channel.unary_stream(
    "/ediff.v1.Coordinator/Generate",
    request_serializer=coordinator_pb2.GenerateRequest.SerializeToString,
    response_deserializer=coordinator_pb2.GenerateEvent.FromString,
)

experts = []
result = None
for event in generate(coordinator_pb2.GenerateRequest(prompt=prompt, size=size, seed=seed), timeout=120):
    kind = event.WhichOneof("event")
    if kind == "evaluation":
        experts.append(event.evaluation.expert)
    elif kind == "result":
        result = event.result
with open(out, "wb") as f:
    f.write(result.png)

try:
    for _ in generate(coordinator_pb2.GenerateRequest(prompt=prompt, sampler="nope"), timeout=30):
        pass
    bad = None
except grpc.RpcError as error:
    bad = {"code": error.code().name, "details": error.details()}

print(json.dumps({
    "evaluations": len(experts),
    "experts": sorted(set(experts)),
    "seed": result.seed,
    "size": result.size,
    "shape": list(result.image.shape),
    "stages": [s.stage for s in result.stages],
    "bad_request": bad,
}))
