# One command sets up and runs, one sets up and tests, on a fresh Debian / Raspberry Pi OS machine.
#   make run [WORKOUT=reverse-lunge] [ARGS="--text"]   make test   make lint
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKOUT ?= quick-try
ARGS ?=
# Debian packages: espeak-ng speaks, sox makes test audio, libportaudio2 is sounddevice's backend,
# PulseAudio gives tests a virtual room (a null sink) and gives the Pi a sound server.
# libatomic1: vosk's aarch64 (Raspberry Pi) library needs it. libspeexdsp1: the adaptive filter of
# the listener's echo canceller (PulseAudio links it too).
APT_PACKAGES := espeak-ng sox libportaudio2 libatomic1 libspeexdsp1 pulseaudio pulseaudio-utils libasound2-plugins
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint setup apt english-model clean arm64-test

run: setup
	$(BIN)/voice-coach run $(WORKOUT) $(ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: apt $(VENV)/.installed english-model

# The official small English model, so that `make run` (English by default) takes spoken commands:
# fetched when the network allows (pinned size and sha256, resumed if interrupted); offline, one
# line says so and setup goes on (the session then takes typed commands).
english-model: $(VENV)/.installed
	@timeout 1200 $(BIN)/voice-coach model download --lang en --if-missing || true

apt:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$(echo $$missing)" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "voice-coach needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1) (try make PYTHON=python3.11)"; exit 2; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,piper]'
	touch $@

lint: setup
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check voice_coach tests

# The non-audio tests and simulated workouts in a Debian arm64 root under qemu-user-static, as on a
# Raspberry Pi (about 20 minutes, root; on demand).
arm64-test:
	sh tests/arm64/run.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
