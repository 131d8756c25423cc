# Loop — the two commands a newcomer needs: `make dev` and `make test`.
# Needs only the Rust toolchain and Python 3: the emulator and linters go into .venv/.

VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-v2
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: dev test lint fmt clippy venv clean

## Runs Loop locally: moto on 127.0.0.1:4566, the runner on 127.0.0.1:3000 (Ctrl-C stops both).
dev: $(STAMP)
	cargo build -p loop-local
	LOOP_ALLOW_PRIVATE_ENDPOINTS=1 ./target/debug/loop-local

## Every test, against an emulator started (and always stopped) for this run.
test: $(STAMP)
	cargo build --workspace --all-targets
	scripts/with-emulator.sh cargo test --workspace --no-fail-fast

## Formatting, clippy and the template linter.
lint: $(STAMP)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint template.yaml

## Fuzzes the Stripe-Signature parser, the Stripe event parser and the API's body parsers,
## FUZZ_SECONDS each (needs nightly Rust; installs cargo-fuzz if missing).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

clean:
	cargo clean
	rm -rf $(VENV)
