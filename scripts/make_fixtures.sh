#!/usr/bin/env bash
# Regenerate the speech fixtures in tests/data from tests/data/speech.txt.
# Needs Debian's espeak-ng, sox and ffmpeg (apt-get install espeak-ng sox ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/../tests/data"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
espeak-ng -s 160 -w "$tmp/raw.wav" -f speech.txt
sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 speech.wav
ffmpeg -loglevel error -y -i speech.wav -codec:a libmp3lame -b:a 32k speech.mp3
# An mp4 with a (tiny) video track, for the video path.
ffmpeg -loglevel error -y -f lavfi -i color=c=navy:s=160x120:r=5 -i speech.wav -shortest \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -c:a aac -b:a 32k speech.mp4
ls -l speech.*
