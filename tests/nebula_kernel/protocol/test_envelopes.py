"""Subscribe topics: told apart by ``kind``; a topic without one is a resources topic."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from nebula_kernel.protocol import ExecutionTopic, ResourceTopic, Subscribe, client_message


def _topic(topic: dict[str, Any]) -> ResourceTopic | ExecutionTopic:
    parsed = client_message({"type": "subscribe", "id": "s", "topic": topic, "since": 3})
    assert isinstance(parsed, Subscribe) and parsed.since == 3
    return parsed.topic


def test_topics_without_a_kind_stay_resources_topics() -> None:
    assert _topic({"type": "Task"}) == ResourceTopic(type="Task")
    assert _topic({}) == ResourceTopic()
    assert _topic({"kind": "resources", "id": "t1"}) == ResourceTopic(id="t1")


def test_execution_topics_name_a_star_and_optionally_one_execution() -> None:
    assert _topic({"kind": "executions"}) == ExecutionTopic(kind="executions")
    topic = _topic({"kind": "executions", "star": "a.b.c", "execution_id": "run-1"})
    assert isinstance(topic, ExecutionTopic)
    assert (topic.star, topic.execution_id) == ("a.b.c", "run-1")


@pytest.mark.parametrize(
    "topic",
    [
        {"kind": "workflows"},
        {"kind": "executions", "type": "Task"},  # a resources field on an executions topic
        {"kind": "resources", "execution_id": "x"},
        {"kind": "executions", "execution_id": ""},
        {"kind": "executions", "execution_id": "x" * 129},
        {"kind": 3},
    ],
)
def test_topics_that_do_not_fit_are_refused(topic: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        _topic(topic)
