"""The socket pair to a query process: whole frames of any size, a deadline, a closed end."""

import threading
import time

import pytest

from karabakh_kg.web.query_pool import ChannelTimeout, _socket_pair


@pytest.fixture
def pair():
    a, b = _socket_pair()
    yield a, b
    a.close()
    b.close()


@pytest.mark.parametrize("size", [0, 1, 65_536 - 8, 65_536, 3_000_001])
def test_a_frame_arrives_whole_and_alone(pair, size):
    a, b = pair
    first = bytes(i % 251 for i in range(size))
    sender = threading.Thread(target=lambda: (a.send(first[: size // 3], first[size // 3 :]), a.send(b"next")))
    sender.start()
    assert bytes(b.recv(time.monotonic() + 10)) == first
    assert bytes(b.recv(time.monotonic() + 10)) == b"next"  # nothing of the first frame left over
    sender.join()


def test_no_frame_by_the_deadline_is_a_timeout(pair):
    _, b = pair
    started = time.monotonic()
    with pytest.raises(ChannelTimeout):
        b.recv(started + 0.05)
    assert 0.04 <= time.monotonic() - started < 5


def test_a_deadline_already_past_never_waits(pair):
    _, b = pair
    with pytest.raises(ChannelTimeout):
        b.recv(time.monotonic() - 1)


def test_half_a_frame_then_silence_is_a_timeout(pair):
    a, b = pair
    a.sock.sendall((100).to_bytes(8, "big") + b"only part")
    with pytest.raises(ChannelTimeout):
        b.recv(time.monotonic() + 0.05)


@pytest.mark.parametrize("sent", [b"", (100).to_bytes(8, "big") + b"only part"])
def test_a_closed_end_is_end_of_file(pair, sent):
    a, b = pair
    a.sock.sendall(sent)
    a.close()
    with pytest.raises(EOFError):
        b.recv(time.monotonic() + 5)


def test_without_a_deadline_it_waits(pair):
    a, b = pair
    threading.Timer(0.2, a.send, args=(b"late",)).start()
    assert bytes(b.recv()) == b"late"


def test_frames_that_come_in_one_read_are_each_read_whole(pair):
    a, b = pair
    frames = [bytes([i]) * (i * 37 % 300) for i in range(200)]
    a.sock.sendall(b"".join(len(f).to_bytes(8, "big") + f for f in frames))  # one write: reads hold several frames
    assert [bytes(b.recv(time.monotonic() + 5)) for _ in frames] == frames


def test_a_large_frame_after_small_ones_in_the_same_read(pair):
    a, b = pair
    big = bytes(i % 253 for i in range(200_000))
    sender = threading.Thread(
        target=lambda: a.sock.sendall(b"".join(len(f).to_bytes(8, "big") + f for f in (b"x" * 10, big, b"y")))
    )
    sender.start()
    assert [bytes(b.recv(time.monotonic() + 5)) for _ in range(3)] == [b"x" * 10, big, b"y"]
    sender.join()
