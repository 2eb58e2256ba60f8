"""Hands-free: talk to the assistant through the microphone and hear it through the speaker.

Run by ``make voice`` once the servers are up, or by hand against a running assistant:

    .venv/bin/python scripts/voice.py [--url http://127.0.0.1:5005]

Say "stop" (or press Ctrl-C) to finish. Without a sound card, feed a recording and keep the
replies as files:

    .venv/bin/python scripts/voice.py --wav question.wav --save-replies replies/
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from channels.audio import AudioError  # noqa: E402
from handsfree.devices import (  # noqa: E402
    Microphone,
    RecordingSpeaker,
    Sink,
    SoundDeviceError,
    Source,
    Speaker,
    WavFileMicrophone,
)
from handsfree.loop import SpeechClient, run_loop  # noqa: E402


def device(value: str) -> int | str:
    """A sounddevice device: its number in `python -m sounddevice`, or part of its name."""
    return int(value) if value.isdigit() else value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server")
    parser.add_argument(
        "--sender", default=None, help="conversation id (default: a new one for each run)"
    )
    parser.add_argument("--input-device", type=device, default=None, help="microphone to use")
    parser.add_argument("--output-device", type=device, default=None, help="speaker to use")
    parser.add_argument("--wav", type=Path, help="read this WAV file instead of the microphone")
    parser.add_argument(
        "--realtime", action="store_true", help="with --wav: feed the file at the speed of speech"
    )
    parser.add_argument(
        "--save-replies",
        type=Path,
        metavar="DIR",
        help="also write each reply to DIR/reply-001.wav, ... (only there if nothing can play)",
    )
    parser.add_argument(
        "--wait", type=float, default=300.0, help="seconds to wait for the server (default 300)"
    )
    return parser.parse_args(argv)


def choose_speaker(args: argparse.Namespace) -> Sink:
    """The sound card, and/or a folder of WAV files."""
    if args.save_replies is None:
        return Speaker(args.output_device).check()
    try:
        playing: Sink | None = Speaker(args.output_device).check()
    except SoundDeviceError as error:
        print(f"{error}\nThe replies are saved in {args.save_replies}/ only.", file=sys.stderr)
        playing = None
    return RecordingSpeaker(folder=args.save_replies, forward=playing)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sender = args.sender or f"voice-{uuid.uuid4().hex[:12]}"
    client = SpeechClient(args.url, sender)
    try:
        microphone: Source = (
            WavFileMicrophone(args.wav, realtime=args.realtime)
            if args.wav
            else Microphone(args.input_device).check()
        )
        speaker = choose_speaker(args)
    except (SoundDeviceError, AudioError, OSError) as error:
        print(error, file=sys.stderr)
        return 1

    if not client.ready():
        print(f"Waiting for the assistant at {args.url} ...", flush=True)
        if not client.wait_until_ready(args.wait):
            print(f"The assistant at {args.url} did not answer; is it running?", file=sys.stderr)
            return 1

    try:
        turns = run_loop(microphone, speaker, client, on_event=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print("\nStopped.")
        return 0
    except SoundDeviceError as error:
        print(error, file=sys.stderr)
        return 1
    except requests.RequestException as error:
        print(f"The assistant stopped answering ({error}).", file=sys.stderr)
        return 1
    print(f"Goodbye. ({turns} turn{'s' if turns != 1 else ''}; conversation id {sender})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
