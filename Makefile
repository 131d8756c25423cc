# Loop — the two commands a newcomer needs: `make dev` and `make test`.
# Needs only the Rust toolchain, Python 3 and Node.js: the emulator and linters go into .venv/,
# the local chain (anvil) and the Solidity compiler into local/chain/node_modules/.

VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-v2
CHAIN_DIR := local/chain
CHAIN_STAMP := $(CHAIN_DIR)/node_modules/.installed-v1
BROWSER_DIR := tests/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.installed-v1
SDK_DIR := sdk/typescript
SDK_STAMP := $(SDK_DIR)/node_modules/.installed-v1
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: dev test lint fmt clippy venv clean package bench-package

## Runs Loop locally: moto on 127.0.0.1:4566, anvil on 127.0.0.1:8545, the runner on 127.0.0.1:3000
## (Ctrl-C stops all three).
dev: $(STAMP) $(CHAIN_STAMP)
	cargo build -p loop-local
	LOOP_ALLOW_PRIVATE_ENDPOINTS=1 ./target/debug/loop-local

## Every test, against an emulator started (and always stopped) for this run.
test: $(STAMP) $(CHAIN_STAMP) $(BROWSER_STAMP) $(SDK_STAMP)
	cargo build --workspace --all-targets
	scripts/with-emulator.sh cargo test --workspace --no-fail-fast

## The guarantee suites under the emulator's fault mode with random seeds, for SOAK_MINUTES
## (tests/tests/under_faults.rs; `make test` runs them once with a fixed seed).
SOAK_MINUTES ?= 10
.PHONY: soak
soak: $(STAMP) $(CHAIN_STAMP)
	cargo build -p loop-tests --tests
	scripts/with-emulator.sh scripts/soak.sh $(SOAK_MINUTES)

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

# anvil and solc, pinned by local/chain/package-lock.json (its .npmrc turns install scripts off).
$(CHAIN_STAMP): $(CHAIN_DIR)/package.json $(CHAIN_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The local chain needs Node.js and npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --prefix $(CHAIN_DIR) --ignore-scripts
	touch $(CHAIN_STAMP)

# The browser tests' driver (playwright-core, jsQR, pngjs), pinned by tests/browser/package-lock.json;
# it drives Debian's Chromium and never downloads a browser.
$(BROWSER_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The browser tests need Node.js and npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --prefix $(BROWSER_DIR) --ignore-scripts
	touch $(BROWSER_STAMP)

# The TypeScript SDK's toolchain (typescript, openapi-typescript) and its runtime dependency
# (standardwebhooks), pinned by sdk/typescript/package-lock.json; tests/tests/sdk_typescript.rs
# builds the package and runs its tests.
$(SDK_STAMP): $(SDK_DIR)/package.json $(SDK_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "The SDK's tests need Node.js and npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --prefix $(SDK_DIR) --ignore-scripts
	touch $(SDK_STAMP)

## Lambda packages (README "Packaging"): cargo-lambda and its zig toolchain come from
## requirements-package.txt into .venv/, apart from the test tools (they are ~400 MB).
PACKAGE_STAMP := $(VENV)/.installed-package-v1
FUNCTIONS := stripe-ingest checkout email dispatch late-payments dashboard
CARGO_LAMBDA := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release $(addprefix -p ,$(FUNCTIONS))
HOST_ARCH := $(shell uname -m)
# The bench runs the bootstraps, so it measures a build for this machine's architecture.
BENCH_LAMBDA_DIR := $(if $(filter aarch64,$(HOST_ARCH)),target/lambda,target/lambda-$(HOST_ARCH))

## Every function's bootstrap for Lambda (arm64, release, stripped), zipped: target/lambda/<function>/bootstrap.zip.
package: $(PACKAGE_STAMP)
	rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	$(CARGO_LAMBDA) --arm64
	$(CARGO_LAMBDA) --arm64 --output-format zip

## Size, cold start-to-ready and peak RSS on a 1 MiB event of each function (bench/package.py).
bench-package: package $(STAMP)
	$(if $(filter aarch64,$(HOST_ARCH)),,$(CARGO_LAMBDA) --target $(HOST_ARCH)-unknown-linux-gnu --lambda-dir $(BENCH_LAMBDA_DIR))
	cargo build -p loop-local
	$(VENV)/bin/python bench/package.py --lambda-dir $(BENCH_LAMBDA_DIR) --sizes-of target/lambda

$(PACKAGE_STAMP): requirements-package.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-package.txt
	touch $(PACKAGE_STAMP)

clean:
	cargo clean
	rm -rf $(VENV) $(CHAIN_DIR)/node_modules $(BROWSER_DIR)/node_modules $(SDK_DIR)/node_modules $(SDK_DIR)/dist
