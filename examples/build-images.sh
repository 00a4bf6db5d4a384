#!/bin/bash
# Build lambdad's example function images, fully offline.
#
# Every image is FROM scratch: the function's bootstrap and handler, and the
# host binaries the function needs together with exactly the shared
# libraries `ldd` lists for them (and the dynamic loader).  lambdad's own
# layout has lambda-rie (statically linked) as the entry point; the "plain"
# layout is any other Lambda image (AWS's base-image layout, a runtime
# interface client as the entry point, a custom runtime), without lambda-rie,
# which lambda-manager then lends to the container.  Each image carries the
# opt-in label org.lambdad.function=TAG-NAME unless it says otherwise.
#
# Each image is described by examples/NAME/image.conf; the folder rootfs/ in
# examples/NAME/ is copied to /, every other file into the working directory.
# image.conf lines:
#   runtime PART ...        shell:   /bin/busybox (busybox-static) + /usr/bin/curl
#                           busybox: /bin/busybox alone (a /bin/sh for scripts)
#                           node:    /usr/bin/node + node_modules/aws-lambda-ric
#                           python:  Debian's /usr/bin/python3 + the standard library
#                                    it needs at run time (no tests, no build files)
#   layout lambdad|plain    lambdad (default): ENTRYPOINT lambda-rie; plain: none
#   entrypoint [JSON array] baked in as ENTRYPOINT (plain layout only)
#   cmd [JSON array]        baked in as CMD (with lambda-rie: the bootstrap it runs)
#   workdir DIR             WORKDIR and where the files go (default /var/task)
#   modules-dir DIR         where node_modules goes (default: the workdir)
#   env KEY=VALUE           baked in as ENV (repeatable)
#   chmod MODE PATH         change a file's mode in the image (repeatable)
#   opt-in yes|no           carry the opt-in label (default yes)
#   include NAME            also copy the files of examples/NAME (first, so ours win)
#   mkdir DIR               an empty directory in the image (repeatable)
set -euo pipefail

PROG=${0##*/}
EXAMPLES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian packages the examples need, for the project's setup script
# (`--print-apt-deps`).  Node.js 20 with npm and its headers
# (/usr/include/node) is expected from the host's nodejs package.
# python3: Debian's interpreter and standard library for runtime-python (and for
# aws-lambda-ric's build); zip: the tests pack the zip functions of examples/zip.
EXAMPLES_APT_PACKAGES="busybox-static curl cmake g++ make python3 autoconf automake libtool zip"

# aws-lambda-ric 4.x requires Node >= 22; 3.3.0 is the newest for Node 20.
AWS_LAMBDA_RIC_VERSION=${AWS_LAMBDA_RIC_VERSION:-3.3.0}
CACHE_DIR=${LAMBDAD_CACHE_DIR:-/var/cache/lambdad}

# Applets linked to /bin/busybox in the shell images.
BUSYBOX_APPLETS="sh ash cat cut tr grep mktemp rm sleep echo printf head tail sed
        env ls mkdir test [ true false wc tee id date base64 od sort uniq kill"

BUSYBOX=/bin/busybox
CURL=/usr/bin/curl
NODE=/usr/bin/node
# Debian's interpreter, never another one first on PATH (pyenv, /usr/local): the image takes
# its standard library from /usr/lib/pythonX.Y, where only Debian's python3 package puts it.
PYTHON=/usr/bin/python3

usage() {
        cat <<EOF
Usage: $PROG --rie PATH_TO_lambda-rie [--tag-prefix PREFIX] [--engine docker|podman] [NAME ...]
       $PROG --rie PATH_TO_lambda-rie --rootfs DIR NAME
       $PROG --print-apt-deps
       $PROG --list

Builds the example function images under $EXAMPLES_DIR (default: all of
them), tagged PREFIXNAME:latest, FROM scratch, without any registry.

  --rie PATH          the statically linked lambda-rie to put in every image
  --tag-prefix PREFIX prepended to each image name (e.g. "lambdad-")
  --engine ENGINE     docker (default) or podman: whose client builds the images,
                      into that engine's image store (podman: rootful, the store
                      \`podman system service\` serves to lambda-manager)
  --rootfs DIR        assemble the image's files in DIR instead of building it (one
                      NAME; no engine needed): for a stage of a multi-stage
                      Dockerfile, which says the rest (ENV, WORKDIR, LABEL, ENTRYPOINT)
  --print-apt-deps    print the Debian packages the examples need, and exit
  --list              print the names of the images that can be built, and exit
  -h, --help          this text

Environment: DOCKER (the client, default /usr/bin/ENGINE),
AWS_LAMBDA_RIC_VERSION (default $AWS_LAMBDA_RIC_VERSION),
LAMBDAD_CACHE_DIR (default /var/cache/lambdad; holds the built aws-lambda-ric).
EOF
}

die() {
        echo "$PROG: error: $*" >&2
        exit 1
}

log() {
        echo "$PROG: $*" >&2
}

# --- cleanup of everything temporary --------------------------------------

TMP_PATHS=()
cleanup() {
        local p
        for p in "${TMP_PATHS[@]+"${TMP_PATHS[@]}"}"; do
                rm -rf -- "$p"
        done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites ---------------------------------------------------------

require_pkg() {
        # require_pkg PACKAGE FILE: FILE (from Debian package PACKAGE) must exist.
        local pkg=$1 file=$2
        if [[ ! -e $file ]]; then
                die "$file is missing: apt-get install $pkg"
        fi
}

check_busybox_prereqs() {
        require_pkg busybox-static "$BUSYBOX"
        if ldd "$BUSYBOX" >/dev/null 2>&1; then
                die "$BUSYBOX is not statically linked (the dynamic 'busybox' package?): apt-get install busybox-static"
        fi
}

check_shell_prereqs() {
        check_busybox_prereqs
        require_pkg curl "$CURL"
}

check_python_prereqs() {
        require_pkg python3 "$PYTHON"
        dpkg -S "$(readlink -f "$PYTHON")" >/dev/null 2>&1 ||
                die "$PYTHON is not Debian's interpreter (dpkg knows no package holding it): apt-get install python3"
}

check_node_prereqs() {
        [[ -x $NODE ]] || die "$NODE is missing: install Node.js 20 (Debian package nodejs)"
        command -v npm >/dev/null || die "npm is missing: install npm (it comes with the nodejs package from NodeSource, or apt-get install npm)"
}

check_node_build_prereqs() {
        local missing=() pkg
        for pkg in cmake g++ make python3 autoconf automake libtool; do
                dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
        done
        if ((${#missing[@]})); then
                die "building aws-lambda-ric needs: apt-get install ${missing[*]}"
        fi
        if [[ ! -f /usr/include/node/common.gypi ]]; then
                die "Node.js headers missing (/usr/include/node/common.gypi): install the headers of $NODE (NodeSource nodejs ships them; Debian: apt-get install libnode-dev)"
        fi
}

# --- rootfs assembly -------------------------------------------------------

# copy_file SRC ROOTFS [DEST]: copy a regular file (symlinks dereferenced)
# into ROOTFS at DEST (default: the same path as SRC).
copy_file() {
        local src=$1 rootfs=$2 dest=${3:-$1}
        mkdir -p -- "$rootfs$(dirname -- "$dest")"
        cp -L --preserve=mode -- "$src" "$rootfs$dest"
}

# copy_ldd_libs BINARY ROOTFS: copy the shared libraries `ldd` lists for
# BINARY, and the dynamic loader, into ROOTFS at the paths ldd prints.
copy_ldd_libs() {
        local bin=$1 rootfs=$2 out line path
        if ! out=$(LC_ALL=C ldd "$bin" 2>&1); then
                if [[ $out == *"not a dynamic executable"* || $out == *"statically linked"* ]]; then
                        return 0
                fi
                die "ldd $bin failed: $out"
        fi
        while IFS= read -r line; do
                line=${line#"${line%%[![:space:]]*}"}
                case $line in
                *"=> not found"*)
                        die "ldd $bin: ${line%% *} not found"
                        ;;
                *" => /"*) # libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)
                        path=${line#* => }
                        path=${path%% (*}
                        ;;
                /*) # /lib64/ld-linux-x86-64.so.2 (0x...): the loader
                        path=${line%% (*}
                        ;;
                *) # linux-vdso.so.1 (0x...), statically linked
                        continue
                        ;;
                esac
                [[ -e $rootfs$path ]] || copy_file "$path" "$rootfs"
        done <<<"$out"
}

# add_binary SRC ROOTFS [DEST]: a host binary and the libraries it needs.
add_binary() {
        copy_file "$1" "$2" "${3:-$1}"
        copy_ldd_libs "$1" "$2"
}

make_base_rootfs() {
        local rootfs=$1 layout=$2
        mkdir -p -- "$rootfs"/{bin,tmp,var/task,etc}
        chmod 1777 -- "$rootfs/tmp"
        if [[ $layout == lambdad ]]; then
                cp --preserve=mode -- "$RIE" "$rootfs/lambda-rie"
                chmod 0755 -- "$rootfs/lambda-rie"
        fi
        # Enough of /etc for tools that look up users or hosts.
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
        printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
        printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

add_busybox_runtime() {
        local rootfs=$1 applet
        copy_file "$BUSYBOX" "$rootfs" /bin/busybox
        for applet in $BUSYBOX_APPLETS; do
                ln -sf busybox "$rootfs/bin/$applet"
        done
}

add_shell_runtime() {
        add_busybox_runtime "$1"
        add_binary "$CURL" "$1"
}

# Parts of Debian's standard library a function never needs at run time: the test suite,
# the files for building extensions (25 MB), tools (IDLE, 2to3, pip's bootstrap, venv,
# distutils, pydoc's topics), the configuration link into /etc, and the extension modules
# that are tests or need libraries of a terminal or a desktop (curses, readline, Tk, dbm).
PYTHON_STDLIB_EXCLUDES=(test idlelib tkinter turtledemo lib2to3 ensurepip venv distutils pydoc_data
        __phello__ turtle.py 'config-*' sitecustomize.py EXTERNALLY-MANAGED site-packages
        dist-packages 'lib-dynload/_test*' 'lib-dynload/xxlimited*' 'lib-dynload/_xxtestfuzz*'
        'lib-dynload/_ctypes_test*' 'lib-dynload/_curses*' 'lib-dynload/readline*'
        'lib-dynload/_dbm*' 'lib-dynload/nis*' 'lib-dynload/ossaudiodev*' 'lib-dynload/_tkinter*')

# add_python_runtime ROOTFS: Debian's interpreter as /usr/bin/python3 (and pythonX.Y), its
# standard library (with Debian's compiled __pycache__, as the root is read-only at run
# time) and the libraries of its extension modules.
add_python_runtime() {
        local rootfs=$1 real ver lib x so
        local excludes=()
        real=$(readlink -f "$PYTHON")
        ver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        lib=/usr/lib/python$ver
        [[ -f $lib/os.py ]] || die "$lib/os.py missing: apt-get install --reinstall libpython$ver-stdlib"
        add_binary "$real" "$rootfs" "/usr/bin/python$ver"
        ln -sf "python$ver" "$rootfs/usr/bin/python3"
        for x in "${PYTHON_STDLIB_EXCLUDES[@]}"; do
                excludes+=("--exclude=${lib#/}/$x")
        done
        mkdir -p -- "$rootfs$lib"
        tar -C / "${excludes[@]}" -cf - "${lib#/}" | tar -C "$rootfs" -xf -
        while IFS= read -r -d '' so; do
                copy_ldd_libs "$so" "$rootfs"
        done < <(find "$rootfs$lib/lib-dynload" -name '*.so' -type f -print0)
}

# ensure_ric_cache: build node_modules/aws-lambda-ric once into
# $CACHE_DIR/aws-lambda-ric-VERSION (in a temporary directory, moved into
# place atomically) and set RIC_CACHE to it.
ensure_ric_cache() {
        RIC_CACHE=$CACHE_DIR/aws-lambda-ric-$AWS_LAMBDA_RIC_VERSION
        if [[ -f $RIC_CACHE/node_modules/aws-lambda-ric/package.json ]]; then
                return 0
        fi
        check_node_build_prereqs
        mkdir -p -- "$CACHE_DIR"
        local work start
        work=$(mktemp -d "$CACHE_DIR/.aws-lambda-ric-$AWS_LAMBDA_RIC_VERSION.XXXXXX")
        TMP_PATHS+=("$work")
        log "building aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION (native, takes minutes; log: $work.log)"
        start=$EPOCHREALTIME
        printf '{ "name": "lambdad-examples-ric", "private": true }\n' >"$work/package.json"
        # npm_config_nodedir: node-gyp uses the host's headers instead of
        # downloading them (there is no internet here, only the npm registry).
        if ! (cd "$work" && env npm_config_nodedir=/usr npm_config_update_notifier=false \
                npm install --no-audit --no-fund --foreground-scripts \
                "aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION") >"$work.log" 2>&1; then
                tail -n 30 -- "$work.log" >&2
                die "npm install aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION failed (full log: $work.log)"
        fi
        if ! compgen -G "$work/node_modules/aws-lambda-ric/dist/*.node" >/dev/null; then
                die "npm install aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION built no native addon (log: $work.log)"
        fi
        # The package's postinstall leaves its build tree behind (~150 MB of
        # curl and aws-lambda-cpp sources and objects); only dist/ is used
        # at run time.
        rm -rf -- "$work/node_modules/aws-lambda-ric/deps" "$work/node_modules/aws-lambda-ric/build"
        if mv -T -- "$work" "$RIC_CACHE" 2>/dev/null; then
                log "aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION built in $(elapsed "$start") s, cached in $RIC_CACHE"
        elif [[ -f $RIC_CACHE/node_modules/aws-lambda-ric/package.json ]]; then
                log "aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION was cached concurrently; using $RIC_CACHE"
        else
                die "cannot move $work to $RIC_CACHE"
        fi
        rm -f -- "$work.log"
}

add_node_runtime() {
        local rootfs=$1 modules_dir=$2 addon
        ensure_ric_cache
        add_binary "$NODE" "$rootfs"
        mkdir -p -- "$rootfs$modules_dir"
        cp -a -- "$RIC_CACHE/node_modules" "$rootfs$modules_dir/node_modules"
        # Native addons are loaded by node: their libraries too.
        while IFS= read -r -d '' addon; do
                copy_ldd_libs "$addon" "$rootfs"
        done < <(find "$rootfs$modules_dir/node_modules" -name '*.node' -type f -print0)
}

# --- one image --------------------------------------------------------------

elapsed() {
        local now=$EPOCHREALTIME
        awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

build_image() {
        local name=$1 dir=$EXAMPLES_DIR/$1 tag=$TAG_PREFIX$1:latest
        local start=$EPOCHREALTIME ctx rootfs key value runtime="" cmd="" entrypoint="" old_id new_id size f
        local layout=lambdad workdir=/var/task modules_dir="" opt_in=yes part mode path
        local envs=() modes=() includes=() dirs=()

        while read -r key value; do
                case $key in
                "" | "#"*) ;;
                runtime) runtime=$value ;;
                layout)
                        [[ $value == lambdad || $value == plain ]] || die "$dir/image.conf: layout must be 'lambdad' or 'plain'"
                        layout=$value
                        ;;
                env)
                        [[ $value =~ ^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9_./:@,+-]*$ ]] ||
                                die "$dir/image.conf: bad env line: $value"
                        envs+=("$value")
                        ;;
                cmd | entrypoint)
                        [[ $value == \[*\] ]] || die "$dir/image.conf: $key must be a JSON array: $value"
                        if [[ $key == cmd ]]; then cmd=$value; else entrypoint=$value; fi
                        ;;
                workdir | modules-dir)
                        [[ $value =~ ^/[A-Za-z0-9_./-]*$ ]] || die "$dir/image.conf: $key must be an absolute path: $value"
                        if [[ $key == workdir ]]; then workdir=$value; else modules_dir=$value; fi
                        ;;
                chmod)
                        [[ $value =~ ^[0-7]{3,4}\ /[A-Za-z0-9_./-]+$ ]] || die "$dir/image.conf: chmod MODE /PATH: $value"
                        modes+=("$value")
                        ;;
                opt-in)
                        [[ $value == yes || $value == no ]] || die "$dir/image.conf: opt-in must be 'yes' or 'no'"
                        opt_in=$value
                        ;;
                include)
                        [[ $value =~ ^[a-z0-9][a-z0-9_.-]*$ && -d $EXAMPLES_DIR/$value ]] ||
                                die "$dir/image.conf: include of an unknown example: $value"
                        includes+=("$EXAMPLES_DIR/$value")
                        ;;
                mkdir)
                        [[ $value =~ ^/[A-Za-z0-9_./-]+$ ]] || die "$dir/image.conf: mkdir needs an absolute path: $value"
                        dirs+=("$value")
                        ;;
                *) die "$dir/image.conf: unknown key '$key'" ;;
                esac
        done <"$dir/image.conf"
        [[ -z $entrypoint || $layout == plain ]] || die "$dir/image.conf: entrypoint needs layout plain (lambdad's is lambda-rie)"

        ctx=$(mktemp -d "${TMPDIR:-/tmp}/lambdad-image-$name.XXXXXX")
        TMP_PATHS+=("$ctx")
        rootfs=$ctx/rootfs
        make_base_rootfs "$rootfs" "$layout"
        mkdir -p -- "$rootfs$workdir"

        [[ -n $runtime ]] || die "$dir/image.conf: runtime is missing"
        for part in $runtime; do
                case $part in
                shell) add_shell_runtime "$rootfs" ;;
                busybox) add_busybox_runtime "$rootfs" ;;
                node) add_node_runtime "$rootfs" "${modules_dir:-$workdir}" ;;
                python) add_python_runtime "$rootfs" ;;
                *) die "$dir/image.conf: runtime must be among 'shell', 'busybox', 'node' and 'python', not '$part'" ;;
                esac
        done
        for f in "${dirs[@]+"${dirs[@]}"}"; do
                mkdir -p -- "$rootfs$f"
        done

        local sources=()
        for f in "${includes[@]+"${includes[@]}"}" "$dir"; do
                sources+=("$f"/*)
        done
        for f in "${sources[@]}"; do
                case ${f##*/} in
                image.conf) ;;
                rootfs) cp -a -- "$f/." "$rootfs/" ;;
                *) cp -a -- "$f" "$rootfs$workdir/" ;;
                esac
        done
        [[ ! -e $rootfs$workdir/bootstrap ]] || chmod 0755 -- "$rootfs$workdir/bootstrap"
        for f in "${modes[@]+"${modes[@]}"}"; do
                mode=${f%% *}
                path=${f#* }
                [[ -e $rootfs$path ]] || die "$dir/image.conf: chmod of $path, which the image does not have"
                chmod "$mode" -- "$rootfs$path"
        done

        if [[ -n $ROOTFS_OUT ]]; then
                mkdir -p -- "$ROOTFS_OUT"
                cp -a -- "$rootfs/." "$ROOTFS_OUT/"
                rm -rf -- "$ctx"
                printf 'assembled %s in %s (%s s)\n' "$name" "$ROOTFS_OUT" "$(elapsed "$start")"
                return 0
        fi

        {
                echo "# Generated by examples/$PROG"
                echo "FROM scratch"
                echo "COPY rootfs/ /"
                echo "ENV PATH=/usr/local/bin:/usr/bin:/bin"
                for f in "${envs[@]+"${envs[@]}"}"; do
                        echo "ENV $f"
                done
                echo "WORKDIR $workdir"
                # The label names the image's own tag, so that NAME -> NAME:latest finds it prefixed too.
                [[ $opt_in == no ]] || echo "LABEL org.lambdad.function=$TAG_PREFIX$name"
                if [[ $layout == lambdad ]]; then
                        echo 'ENTRYPOINT ["/lambda-rie"]'
                elif [[ -n $entrypoint ]]; then
                        echo "ENTRYPOINT $entrypoint"
                fi
                [[ -z $cmd ]] || echo "CMD $cmd"
        } >"$ctx/Dockerfile"

        # One build at a time: a concurrent build of the same tag would remove the image this one
        # is building on ("unable to find image sha256:...").
        mkdir -p "$CACHE_DIR"
        exec {lock_fd}>"$CACHE_DIR/build-images.lock"
        flock "$lock_fd"
        old_id=$("$DOCKER" image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
        if ! DOCKER_BUILDKIT=0 "$DOCKER" build -q --force-rm -t "$tag" "$ctx" >"$ctx/build.log" 2>&1; then
                cat -- "$ctx/build.log" >&2
                die "$ENGINE build of $tag failed"
        fi
        new_id=$("$DOCKER" image inspect -f '{{.Id}}' "$tag")
        if [[ -n $old_id && $old_id != "$new_id" ]]; then
                # The previous build, now untagged; kept if a container uses it.
                "$DOCKER" image rm "$old_id" >/dev/null 2>&1 || true
        fi
        exec {lock_fd}>&-
        size=$("$DOCKER" image inspect -f '{{.Size}}' "$tag")
        rm -rf -- "$ctx"
        new_id=${new_id#sha256:}
        printf 'built %s (image %s, %s MB, %s s)\n' "$tag" "${new_id:0:12}" \
                "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1000000 }')" "$(elapsed "$start")"
}

list_images() {
        local conf
        for conf in "$EXAMPLES_DIR"/*/image.conf; do
                [[ -f $conf ]] || continue
                conf=${conf%/image.conf}
                echo "${conf##*/}"
        done
}

# --- main -------------------------------------------------------------------

RIE=""
ROOTFS_OUT=""
TAG_PREFIX=""
ENGINE=docker
NAMES=()
while (($#)); do
        case $1 in
        --rie)
                (($# >= 2)) || die "--rie needs a path"
                RIE=$2
                shift 2
                ;;
        --rie=*)
                RIE=${1#*=}
                shift
                ;;
        --rootfs)
                (($# >= 2)) || die "--rootfs needs a directory"
                ROOTFS_OUT=$2
                shift 2
                ;;
        --rootfs=*)
                ROOTFS_OUT=${1#*=}
                shift
                ;;
        --tag-prefix)
                (($# >= 2)) || die "--tag-prefix needs a value"
                TAG_PREFIX=$2
                shift 2
                ;;
        --tag-prefix=*)
                TAG_PREFIX=${1#*=}
                shift
                ;;
        --engine)
                (($# >= 2)) || die "--engine needs docker or podman"
                ENGINE=$2
                shift 2
                ;;
        --engine=*)
                ENGINE=${1#*=}
                shift
                ;;
        --print-apt-deps)
                echo "$EXAMPLES_APT_PACKAGES"
                exit 0
                ;;
        --list)
                list_images
                exit 0
                ;;
        -h | --help)
                usage
                exit 0
                ;;
        --)
                shift
                NAMES+=("$@")
                break
                ;;
        -*)
                die "unknown option: $1 (see --help)"
                ;;
        *)
                NAMES+=("$1")
                shift
                ;;
        esac
done

[[ -n $RIE ]] || {
        usage | head -n 1 >&2
        die "--rie PATH_TO_lambda-rie is required (build it: meson setup build && ninja -C build; it is build/src/rie/lambda-rie)"
}
[[ -f $RIE && -x $RIE ]] || die "--rie $RIE: no such executable file"
if LC_ALL=C ldd "$RIE" >/dev/null 2>&1; then
        die "--rie $RIE is dynamically linked; the images are FROM scratch and need a statically linked lambda-rie"
fi
[[ -z $TAG_PREFIX || $TAG_PREFIX =~ ^[a-z0-9][a-z0-9._/:-]*$ ]] ||
        die "--tag-prefix '$TAG_PREFIX' would not make a valid image name (lowercase, digits, . _ - / :)"

if [[ -n $ROOTFS_OUT ]]; then
        ((${#NAMES[@]} == 1)) || die "--rootfs assembles one image: give exactly one NAME"
        [[ $ROOTFS_OUT == /* ]] || die "--rootfs $ROOTFS_OUT: an absolute path"
fi

# Podman's client takes the same build, inspect and rm commands as docker's; it builds with
# buildah into Podman's own store, which is where Podman's API service looks for images.
case $ENGINE in
docker) engine_hint="is dockerd running? nohup dockerd >/tmp/dockerd.log 2>&1 &" engine_pkg=docker.io ;;
podman) engine_hint="podman info says why" engine_pkg=podman ;;
*) die "--engine must be docker or podman, not '$ENGINE'" ;;
esac
if [[ -z ${DOCKER:-} && -z $ROOTFS_OUT ]]; then
        if [[ -x /usr/bin/$ENGINE ]]; then
                DOCKER=/usr/bin/$ENGINE
        else
                DOCKER=$(command -v "$ENGINE") || die "$ENGINE client missing: apt-get install $engine_pkg"
        fi
fi
[[ -n $ROOTFS_OUT ]] || "$DOCKER" version >/dev/null 2>&1 ||
        die "cannot reach the $ENGINE engine with $DOCKER ($engine_hint)"

((${#NAMES[@]})) || mapfile -t NAMES < <(list_images)
((${#NAMES[@]})) || die "no images found under $EXAMPLES_DIR"

need_shell=0 need_busybox=0 need_node=0 need_python=0
for name in "${NAMES[@]}"; do
        [[ $name =~ ^[a-z0-9][a-z0-9_.-]*$ && -f $EXAMPLES_DIR/$name/image.conf ]] ||
                die "unknown image '$name' (known: $(list_images | paste -sd ' '))"
        for part in $(awk '$1 == "runtime" { $1 = ""; print }' "$EXAMPLES_DIR/$name/image.conf"); do
                case $part in
                shell) need_shell=1 ;;
                busybox) need_busybox=1 ;;
                node) need_node=1 ;;
                python) need_python=1 ;;
                esac
        done
done
((need_shell == 0)) || check_shell_prereqs
((need_busybox == 0)) || check_busybox_prereqs
((need_node == 0)) || check_node_prereqs
((need_python == 0)) || check_python_prereqs

for name in "${NAMES[@]}"; do
        build_image "$name"
done
