"""What a Python Faust follower checks when it receives an assignment (PartitionAssignor.on_assignment).

  python assignor_check.py CASES.json
CASES: [{"name", "assignment": <base64 ConsumerProtocolMemberAssignment bytes as the leader sent them>,
         "url": <the member's own url>, "changelog_topics": [...]}]
For each case, decodes the bytes with aiokafka's protocol class and runs Faust's own checks: the Kafka-level
partition list equals, sorted, the actives plus the changelog standbys of the zlib JSON, and the url is the
member's own. Prints a JSON report {checked, failures, assignments}.
"""
import base64
import json
import sys
import zlib
from types import SimpleNamespace

from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from faust.assignor.client_assignment import ClientMetadata


def main(path: str) -> None:
    failures = []
    assignments = {}
    cases = json.load(open(path))
    for case in cases:
        raw = base64.b64decode(case["assignment"])
        assignment = ConsumerProtocolMemberAssignment.decode(raw)
        metadata = ClientMetadata.loads(zlib.decompress(assignment.user_data))
        table_manager = SimpleNamespace(changelog_topics=set(case["changelog_topics"]))
        a = sorted(assignment.assignment)
        b = sorted(metadata.assignment.kafka_protocol_assignment(table_manager))
        if [(t, list(p)) for t, p in a] != [(t, list(p)) for t, p in b]:
            failures.append({"name": case["name"], "what": "partition list", "kafka": a, "json": b})
        if metadata.url != case["url"]:
            failures.append({"name": case["name"], "what": "url", "got": metadata.url, "want": case["url"]})
        assignments[case["name"]] = {
            "version": assignment.version,
            "actives": metadata.assignment.actives,
            "standbys": metadata.assignment.standbys,
            "topic_groups": dict(metadata.topic_groups),
            "changelog_distribution": metadata.changelog_distribution,
        }
    print(json.dumps({"checked": len(cases), "failures": failures, "assignments": assignments}))


if __name__ == "__main__":
    main(sys.argv[1])
