#!/usr/bin/env bash
# Installs Hugging Face tokenizers' Rust library as the npm package @anush008/tokenizers (prebuilt, ~3 MB)
# into tools/hf-tokenizers-check/node_modules, for the test that compares jllm's BPE trainer with HF's.
# Prints one line; exits 0 when it is usable, 1 when it could not be installed here.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
VERSION=0.6.0
have() { [[ -f node_modules/@anush008/tokenizers/package.json ]] &&
    grep -q "\"version\": \"$VERSION\"" node_modules/@anush008/tokenizers/package.json; }
if have; then
    echo "hf-tokenizers-check: @anush008/tokenizers $VERSION already installed"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "hf-tokenizers-check: needs npm; the HF tokenizers comparison will be skipped" >&2
    exit 1
fi
if ! timeout 300 npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error \
        "@anush008/tokenizers@$VERSION" >/dev/null 2>npm-install.log; then
    echo "hf-tokenizers-check: npm install failed (see tools/hf-tokenizers-check/npm-install.log); the HF tokenizers comparison will be skipped" >&2
    exit 1
fi
have && echo "hf-tokenizers-check: installed @anush008/tokenizers $VERSION" && exit 0
echo "hf-tokenizers-check: install finished but the package is not there; the comparison will be skipped" >&2
exit 1
