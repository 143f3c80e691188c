#!/usr/bin/env bash

# Builds batch-eval's Piston package: a Python 3 for our launcher, the compilers for C,
# C++ (GCC) and Rust, and a JDK, installed into this folder (the sandbox shows a package its own
# folder only), as Piston's own python, gcc and rust packages build theirs.
#
# BATCH_EVAL_HOST_TOOLS=1 links the tools the build machine already has instead: for a
# server whose sandbox shows the host's /usr (or a test server), not for a stock image.
set -euo pipefail
PREFIX=$(pwd)
mkdir -p bin

if [[ "${BATCH_EVAL_HOST_TOOLS:-}" == 1 ]]; then
    # BATCH_EVAL_PYTHON: the interpreter to link (a real binary, not a version manager's shim)
    ln -sf "${BATCH_EVAL_PYTHON:-$(command -v python3)}" bin/python3
    for tool in gcc g++ java javac; do
        if command -v "$tool" >/dev/null; then
            ln -sf "$(command -v "$tool")" "bin/$tool"
        fi
    done
    if command -v rustc >/dev/null; then
        # the real rustc, not a rustup proxy (the proxy needs a home the sandbox has not)
        ln -sf "$(rustc --print sysroot)/bin/rustc" bin/rustc
    fi
    exit 0
fi

PYTHON=3.12.0
GCC=12.2.0
RUST=1.68.2
JDK=17.0.9+9

curl -fL "https://www.python.org/ftp/python/$PYTHON/Python-$PYTHON.tgz" -o python.tgz
tar xzf python.tgz && rm python.tgz
(cd "Python-$PYTHON" && ./configure --prefix="$PREFIX" --with-ensurepip=no && make -j"$(nproc)" && make install)
rm -rf "Python-$PYTHON"

curl -fL "https://ftp.gnu.org/gnu/gcc/gcc-$GCC/gcc-$GCC.tar.gz" -o gcc.tar.gz
tar xzf gcc.tar.gz && rm gcc.tar.gz
(
    cd "gcc-$GCC" && ./contrib/download_prerequisites && mkdir build && cd build &&
    ../configure --prefix="$PREFIX" --enable-languages=c,c++ --disable-multilib --disable-bootstrap &&
    make -j"$(nproc)" && make install
)
rm -rf "gcc-$GCC"

curl -fL "https://static.rust-lang.org/dist/rust-$RUST-x86_64-unknown-linux-gnu.tar.gz" -o rust.tar.gz
tar xzf rust.tar.gz && rm rust.tar.gz
"./rust-$RUST-x86_64-unknown-linux-gnu/install.sh" --prefix="$PREFIX" --components=rustc,rust-std-x86_64-unknown-linux-gnu
rm -rf "rust-$RUST-x86_64-unknown-linux-gnu"

curl -fL "https://github.com/adoptium/temurin17-binaries/releases/download/jdk-$JDK/OpenJDK17U-jdk_x64_linux_hotspot_${JDK/+/_}.tar.gz" -o jdk.tar.gz
mkdir -p jdk && tar xzf jdk.tar.gz -C jdk --strip-components=1 && rm jdk.tar.gz
ln -sf ../jdk/bin/java bin/java && ln -sf ../jdk/bin/javac bin/javac
