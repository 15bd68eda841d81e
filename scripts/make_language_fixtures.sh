#!/usr/bin/env bash
# Regenerate the language fixtures in tests/data (see tests/data/ATTRIBUTION.md):
#   french.ogg     real French speech (Debian asterisk-core-sounds-fr-wav, June Wallack, CC BY-SA 3.0):
#                  vm-intro + 0.4 s silence + vm-mismatch, 16 kHz mono Ogg Vorbis, 10.6 s
#   switch.ogg     English / French / English (asterisk-core-sounds-en-wav, Allison Smith, and -fr-wav):
#                  en/vm-mismatch, 1 s, fr/pbx-invalidpark, 1 s, en/vm-nobox, 16 kHz mono Ogg Vorbis, 16.9 s
#   names.ogg      espeak-ng reading tests/data/names.txt (unusual names for the custom vocabulary), 9.8 s
# Needs: apt-get install asterisk-core-sounds-fr-wav asterisk-core-sounds-en-wav espeak-ng sox
set -euo pipefail
cd "$(dirname "$0")/../tests/data"
sounds=/usr/share/asterisk/sounds
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sox -n -r 8000 -c 1 -b 16 "$tmp/pause04.wav" trim 0 0.4
sox -n -r 8000 -c 1 -b 16 "$tmp/pause1.wav" trim 0 1.0
sox "$sounds/fr/vm-intro.wav" "$tmp/pause04.wav" "$sounds/fr/vm-mismatch.wav" -r 16000 -c 1 french.ogg
sox "$sounds/en/vm-mismatch.wav" "$tmp/pause1.wav" "$sounds/fr/pbx-invalidpark.wav" "$tmp/pause1.wav" \
  "$sounds/en/vm-nobox.wav" -r 16000 -c 1 switch.ogg
espeak-ng -s 150 -w "$tmp/names.wav" -f names.txt
sox "$tmp/names.wav" -r 16000 -c 1 names.ogg
ls -l french.ogg switch.ogg names.ogg
