#!/usr/bin/env bash
# Installs llama.cpp's prebuilt CPU build (npm node-llama-cpp 3.21.1, linux-x64 binaries only, ~80 MB)
# into tools/llamacpp-check/node_modules for the tests that load jllm's files in llama.cpp.
# Prints one line; exits 0 when llama.cpp is usable, 1 when it could not be installed here.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
VERSION=3.21.1
have() { [[ -f node_modules/node-llama-cpp/package.json && -d node_modules/@node-llama-cpp/linux-x64 ]] &&
    grep -q "\"version\": \"$VERSION\"" node_modules/node-llama-cpp/package.json; }
if have; then
    echo "llamacpp-check: node-llama-cpp $VERSION already installed"
    exit 0
fi
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]] || ! command -v npm >/dev/null 2>&1; then
    echo "llamacpp-check: needs npm on Linux x86_64; the llama.cpp checks will be skipped" >&2
    exit 1
fi
if ! timeout 600 npm install --omit=optional --no-save --no-audit --no-fund --prefer-offline --loglevel=error \
        "node-llama-cpp@$VERSION" "@node-llama-cpp/linux-x64@$VERSION" >/dev/null 2>npm-install.log; then
    echo "llamacpp-check: npm install failed (see tools/llamacpp-check/npm-install.log); the llama.cpp checks will be skipped" >&2
    exit 1
fi
rm -f node_modules/node-llama-cpp/llama/gitRelease.bundle  # llama.cpp's sources, unused with prebuilt binaries
have && echo "llamacpp-check: installed node-llama-cpp $VERSION" && exit 0
echo "llamacpp-check: install finished but node-llama-cpp $VERSION is not there; the llama.cpp checks will be skipped" >&2
exit 1
