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
    # Every linked tool must resolve to a real file inside the folders the sandbox shows
    # (BATCH_EVAL_BOX_DIRS; isolate's defaults as Piston runs it: /usr /bin /lib /lib64 /etc),
    # or the program would find nothing there at run time. A version manager's shim (pyenv,
    # asdf) or a toolchain under a home (~/.rustup, ~/.cargo) stops the build here.
    box_dirs=${BATCH_EVAL_BOX_DIRS:-/usr /bin /lib /lib64 /etc}
    link() { # link NAME PATH
        local real
        real=$(readlink -f -- "$2") || real=
        if [[ -z "$real" || ! -x "$real" ]]; then
            echo "batch-eval package: $1 -> $2 is not an executable file" >&2
            exit 1
        fi
        local dir
        for dir in $box_dirs; do
            if [[ "$dir" == / || "$real" == "$dir"/* ]]; then
                ln -sf "$real" "bin/$1"
                return 0
            fi
        done
        echo "batch-eval package: $1 resolves to $real, outside the folders the sandbox shows" \
            "($box_dirs): install it under /usr (e.g. the distribution's package; for python, point" \
            "BATCH_EVAL_PYTHON at one), or build without BATCH_EVAL_HOST_TOOLS" >&2
        exit 1
    }
    # BATCH_EVAL_PYTHON: the interpreter to link (a real binary, not a version manager's shim)
    link python3 "${BATCH_EVAL_PYTHON:-$(command -v python3)}"
    for tool in gcc g++ java javac; do
        if command -v "$tool" >/dev/null; then
            link "$tool" "$(command -v "$tool")"
        fi
    done
    if command -v rustc >/dev/null; then
        # the real rustc, not a rustup proxy (the proxy needs a home the sandbox has not)
        link rustc "$(rustc --print sysroot)/bin/rustc"
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
