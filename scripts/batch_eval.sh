#!/usr/bin/env bash
# batch_eval.sh - evaluate every checkpoint of a training run with batch-eval, in one line.
#
#   scripts/batch_eval.sh                       # with the defaults below
#   scripts/batch_eval.sh -s runs/exp1 -o evals/exp1 --dry-run
#   BATCH_EVAL_EXECUTOR=piston BATCH_EVAL_ENDPOINT=http://gpu-box:2000 scripts/batch_eval.sh
#   scripts/batch_eval.sh --checkpoint-filter 'checkpoint-{196,392}' --all-tests
#   scripts/batch_eval.sh --solutions-dir runs/exp1 --output-dir evals/exp1 --max-generated-tests 0 --max-workers 4
#
# Never prompts: safe under nohup, cron and CI. Exit codes are batch-eval's (see --help).
set -euo pipefail

# ---- your defaults: edit here, or override with BATCH_EVAL_<NAME> or the flag ----
SOLUTIONS_DIR="${BATCH_EVAL_SOLUTIONS_DIR:-./checkpoints}"               # -s, --solutions-dir
OUTPUT_DIR="${BATCH_EVAL_OUTPUT_DIR:-./batch_eval_output}"               # -o, --output-dir
PROBLEMS="${BATCH_EVAL_PROBLEMS:-./problems.jsonl}"                      # -p, --problems
MAX_WORKERS="${BATCH_EVAL_MAX_WORKERS:-$(nproc 2>/dev/null || echo 2)}"  # -w, --max-workers
EXECUTOR="${BATCH_EVAL_EXECUTOR:-local}"                                 # -e, --executor (local|piston)
ENDPOINT="${BATCH_EVAL_ENDPOINT:-http://localhost:2000}"                 #     --endpoint (piston only)
TIMEOUT="${BATCH_EVAL_TIMEOUT:-3600}"                                    # -t, --timeout (seconds per file)
# ------------------------------------------------------------------------------------------

usage() {
  cat <<USAGE
Usage: $(basename "$0") [options] [any other batch-eval run option ...]

  -s, --solutions-dir DIR   checkpoint folders live here      (now: $SOLUTIONS_DIR)
  -o, --output-dir DIR      results go here                   (now: $OUTPUT_DIR)
  -p, --problems FILE       problems JSONL                    (now: $PROBLEMS)
  -w, --max-workers N       files checked at once             (now: $MAX_WORKERS)
  -e, --executor NAME       local or piston                   (now: $EXECUTOR)
      --endpoint URL        Piston server (piston only)       (now: $ENDPOINT)
  -t, --timeout SECONDS     per file, then killed             (now: $TIMEOUT)
      --dry-run             print the plan, write nothing
  -h, --help                this help

Every default can also be set by an environment variable: BATCH_EVAL_ and the name in
capitals (BATCH_EVAL_SOLUTIONS_DIR, BATCH_EVAL_OUTPUT_DIR, BATCH_EVAL_PROBLEMS,
BATCH_EVAL_MAX_WORKERS, BATCH_EVAL_EXECUTOR, BATCH_EVAL_ENDPOINT, BATCH_EVAL_TIMEOUT); a
training job's own OUTPUT_DIR or TIMEOUT is never read.
USAGE
}

die() { echo "batch_eval.sh: $*" >&2; exit 2; }

DRY_RUN=()
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    -s|--solutions-dir) [ $# -ge 2 ] || die "$1 needs a value"; SOLUTIONS_DIR="$2"; shift 2 ;;
    -o|--output-dir)    [ $# -ge 2 ] || die "$1 needs a value"; OUTPUT_DIR="$2"; shift 2 ;;
    -p|--problems)      [ $# -ge 2 ] || die "$1 needs a value"; PROBLEMS="$2"; shift 2 ;;
    -w|--max-workers)   [ $# -ge 2 ] || die "$1 needs a value"; MAX_WORKERS="$2"; shift 2 ;;
    -e|--executor)      [ $# -ge 2 ] || die "$1 needs a value"; EXECUTOR="$2"; shift 2 ;;
    --endpoint)         [ $# -ge 2 ] || die "$1 needs a value"; ENDPOINT="$2"; shift 2 ;;
    -t|--timeout)       [ $# -ge 2 ] || die "$1 needs a value"; TIMEOUT="$2"; shift 2 ;;
    --dry-run)          DRY_RUN=(--dry-run); shift ;;
    -h|--help)          usage; exit 0 ;;
    --)                 shift; EXTRA+=("$@"); break ;;
    # every other `batch-eval run` option (and its value) goes through as itself
    *)                  EXTRA+=("$1"); shift ;;
  esac
done

[ -d "$SOLUTIONS_DIR" ] || die "solutions folder not found: $SOLUTIONS_DIR (set -s or BATCH_EVAL_SOLUTIONS_DIR)"
[ -r "$PROBLEMS" ] || die "problems file not readable: $PROBLEMS (set -p or BATCH_EVAL_PROBLEMS)"
[[ "$MAX_WORKERS" =~ ^[1-9][0-9]*$ ]] || die "--max-workers must be a positive integer, not '$MAX_WORKERS'"
[[ "$TIMEOUT" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--timeout must be a number of seconds, not '$TIMEOUT'"

# batch-eval from PATH, else the checkout's virtual environment, else this Python's module
if command -v batch-eval >/dev/null 2>&1; then
  BATCH_EVAL=(batch-eval)
elif [ -x "$(dirname "$0")/../.venv/bin/batch-eval" ]; then
  BATCH_EVAL=("$(dirname "$0")/../.venv/bin/batch-eval")
else
  BATCH_EVAL=(python3 -m batch_eval)
fi

EXECUTOR_ARGS=(--executor "$EXECUTOR")
case "$EXECUTOR" in
  local) ;;
  piston)
    if [ ${#DRY_RUN[@]} -eq 0 ]; then
      python3 - "$ENDPOINT" 2>/dev/null <<'PY' || die "cannot reach Piston at $ENDPOINT - start it or set --endpoint / BATCH_EVAL_ENDPOINT"
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/api/v2/runtimes", timeout=5).read()
PY
    fi
    EXECUTOR_ARGS+=(--endpoint "$ENDPOINT") ;;
  *) die "--executor must be local or piston, not '$EXECUTOR'" ;;
esac

exec "${BATCH_EVAL[@]}" run \
  --solutions-dir "$SOLUTIONS_DIR" --output-dir "$OUTPUT_DIR" --problems "$PROBLEMS" \
  --max-workers "$MAX_WORKERS" --timeout "$TIMEOUT" "${EXECUTOR_ARGS[@]}" \
  ${DRY_RUN[@]+"${DRY_RUN[@]}"} ${EXTRA[@]+"${EXTRA[@]}"}
