"""The typed wire (harness.wire): what a message may be, and what each end does with one that is not.

The codec on real message types; then a real reference process (spawned, the ReLU problem on the CPU) asked
for an operation its role does not serve, sent a malformed command, and answering other than the parent
expects: each an immediate error that names what was wrong.
"""
from __future__ import annotations

import pytest

from conftest import RELU_PROBLEM
from harness import Status, configure
from harness.common.settings import TimingProfile
from harness.common.stats import LoopReport
from harness.parent.workspace import Workspace
from harness.wire.channel import ChildGarbled
from harness.wire.codec import Malformed, decode, encode
from harness.wire.messages import (ChildSettings, Count, Counted, Draw, Failed, Load, Prepare, Prepared, Started, Time,
                                   Timed)


def test_every_message_survives_the_codec_as_its_own_type():
    time = Time(seed=3, scales=4, profile=TimingProfile(min_calls=20), checks={2: "/tmp/a.pt", 7: "/tmp/b.pt"})
    back = decode(encode(time), Time)
    assert back == time and back.checks == {2: "/tmp/a.pt", 7: "/tmp/b.pt"}  # integer keys survive JSON's strings
    report = LoopReport(samples=[1.0, 2], seconds=0.5, clock="host", spans=None)
    assert decode(encode(Timed(report=report)), Timed).report.samples == [1.0, 2.0]
    failed = decode(encode(Failed(status=Status.REJECTED, reason="r")), Prepared, Failed)
    assert failed == Failed(status=Status.REJECTED, reason="r", detail="")


@pytest.mark.parametrize("data, named", [
    ({"kind": "Counted", "body": {"work": None}}, "expected Prepared or Failed, got 'Counted'"),
    ({"kind": "Prepared", "body": {}}, "lacks 'trials'"),
    ({"kind": "Prepared", "body": {"trials": [], "extra": 1}}, "has no field 'extra'"),
    ({"kind": "Prepared", "body": {"trials": "x"}}, "Prepared.trials is 'x', not a list"),
    ({"kind": "Prepared", "body": {"trials": [{"outputs": [], "oracle": 3, "ref_errors": []}]}},
     "Prepared.trials[0].oracle is 3, not a str"),
    ({"kind": "Failed", "body": {"status": "pass!", "reason": ""}}, "Failed.status is 'pass!', not a Status"),
    ({"kind": "Prepared"}, "a message is an object with a kind and a body"),
])
def test_the_codec_refuses_a_message_that_is_not_what_it_claims_naming_the_field(data, named):
    with pytest.raises(Malformed) as refused:
        decode(data, Prepared, Failed)
    assert named in str(refused.value)


def test_a_bool_is_not_an_integer_nor_a_string_a_number():
    with pytest.raises(Malformed, match="Count.seed is True, not an integer"):
        decode({"kind": "Count", "body": {"seed": True}}, Count)
    with pytest.raises(Malformed, match="Draw.seed is '1', not an integer"):
        decode({"kind": "Draw", "body": {"id": "0", "seed": "1"}}, Draw)


@pytest.fixture
def reference(tmp_path, cache_dir):
    """A real reference process for the ReLU problem on the CPU, past its first answer."""
    settings = ChildSettings.for_grade(configure(device="cpu"), problem=str(RELU_PROBLEM), solution="",
                                       weight_seed=1, cache_dir=str(cache_dir))
    with Workspace(None, None, None) as workspace:
        child = workspace.spawn("reference", settings)
        hello = child.receive(Started, 300, "starting")
        assert isinstance(hello, Started) and hello.device == "cpu", hello
        yield child


def test_an_operation_the_role_does_not_serve_is_answered_with_an_error_naming_it(reference):
    answer = reference.ask(Load(), 60, "loading")  # the solution's operation, sent to the reference
    assert isinstance(answer, Failed) and answer.status is Status.ERROR
    assert "the reference process does not serve Load" in answer.reason and "Prepare" in answer.reason


def test_a_malformed_command_is_answered_with_an_error_naming_the_field(reference):
    answer = reference.ask(Prepare(trials="not a list"), 60, "preparing")  # type: ignore[arg-type]
    assert isinstance(answer, Failed) and answer.status is Status.ERROR
    assert "malformed command" in answer.reason and "Prepare.trials" in answer.reason


def test_an_answer_other_than_the_operation_promises_is_a_garbled_answer(reference):
    reference.send(Count(seed=1))
    with pytest.raises(ChildGarbled, match="malformed answer while counting .*expected Prepared or Failed, got "
                                           "'Counted'"):
        reference.receive(Prepared, 60, "counting")
    assert Count.Answer is Counted

