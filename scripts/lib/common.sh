# shellcheck shell=bash
# Shared by the deployment scripts (gcp-setup, gke-setup, deploy, teardown, submit-rest):
# values from flags > environment > --env-file (an overlay's values.env) > defaults, --dry-run,
# --help, logging. Source it after defining VARS (the settable variables) and usage().
# shellcheck disable=SC2154  # VARS is defined by the sourcing script

DRY_RUN=${DRY_RUN:-0}

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Prints a command as one copy-pasteable shell line, prefixed with "+ ".
show_cmd() {
  local quoted=() a
  for a in "$@"; do quoted+=("$(printf '%q' "$a")"); done
  printf '+ %s\n' "${quoted[*]}"
}

# run CMD...: prints the command, then runs it unless --dry-run.
run() {
  show_cmd "$@"
  if [[ $DRY_RUN != 1 ]]; then "$@"; fi
}

# exists CMD...: a read-only check (describe, show), output discarded. Under --dry-run it is
# printed, not run, and answers "absent" (or "present" with DRY_RUN_ASSUME_EXISTS=1, as
# teardown.sh sets), so the dry run lists every command a run from scratch would execute.
exists() {
  if [[ $DRY_RUN == 1 ]]; then
    show_cmd "$@"
    [[ ${DRY_RUN_ASSUME_EXISTS:-0} == 1 ]]
    return
  fi
  "$@" >/dev/null 2>&1
}

# --project-id -> PROJECT_ID
flag_var() {
  local n=${1#--}
  n=${n//-/_}
  printf '%s' "${n^^}"
}

# Reads KEY=VALUE lines (kustomize's env-file format: no quotes, no expansion, # comments),
# setting only the variables in VARS that are still unset: flags and environment win.
load_env_file() {
  local file=$1 line key value
  [[ -f $file ]] || die "env file not found: $file"
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line == *=* ]] || die "$file: not KEY=VALUE: $line"
    key=${line%%=*}
    value=${line#*=}
    [[ $key =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "$file: bad key: $key"
    if [[ " ${VARS[*]} " == *" $key "* && -z ${!key+set} ]]; then
      printf -v "$key" '%s' "$value"
      export "${key?}"
    fi
  done <"$file"
}

# parse_args "$@": --help, --dry-run, --env-file FILE, and --<name> VALUE (or --<name>=VALUE)
# for each variable NAME in VARS. Everything after "--" goes to REST_ARGS.
parse_args() {
  REST_ARGS=()
  local name var value
  while (($#)); do
    case $1 in
      -h | --help)
        usage
        exit 0
        ;;
      --dry-run) DRY_RUN=1 ;;
      --)
        shift
        REST_ARGS+=("$@")
        break
        ;;
      --*)
        name=${1%%=*}
        var=$(flag_var "$name")
        if [[ $var == ENV_FILE || " ${VARS[*]} " == *" $var "* ]]; then
          if [[ $1 == *=* ]]; then
            value=${1#*=}
          else
            (($# >= 2)) || die "$name needs a value"
            value=$2
            shift
          fi
          printf -v "$var" '%s' "$value"
          export "${var?}"
        else
          die "unknown flag $name (see --help)"
        fi
        ;;
      *) die "unexpected argument: $1 (see --help)" ;;
    esac
    shift
  done
  if [[ -n ${ENV_FILE:-} ]]; then load_env_file "$ENV_FILE"; fi
}

# require VAR...: dies naming the flag and variable of each one that is empty.
require() {
  local v flag
  for v in "$@"; do
    if [[ -z ${!v:-} ]]; then
      flag=${v,,}
      die "$v is required (--${flag//_/-}, \$$v, or --env-file)"
    fi
  done
}

# need_tools TOOL...: dies naming each command-line tool that is not installed (a dry run only warns).
need_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) && return 0
  if [[ $DRY_RUN == 1 ]]; then
    warn "not installed: ${missing[*]} (a real run needs them)"
  else
    die "not installed: ${missing[*]}"
  fi
}

# precondition "WHAT IS MISSING" "STEP TO RUN" [--expect VALUE] CMD...: a read-only check of what
# an earlier step creates; when CMD fails (or, with --expect, prints something else), dies naming
# that step. Under --dry-run it is printed, not run.
precondition() {
  local what=$1 step=$2 expect="" check=1
  shift 2
  if [[ $1 == --expect ]]; then
    expect=$2 check=2
    shift 2
  fi
  if [[ $DRY_RUN == 1 ]]; then
    show_cmd "$@"
    return 0
  fi
  if ((check == 2)); then
    [[ $("$@" 2>/dev/null) == "$expect" ]] || die "$what: run $step first"
  else
    "$@" >/dev/null 2>&1 || die "$what: run $step first"
  fi
}

# gs://bucket/some/path -> bucket
gcs_bucket() {
  local rest=${1#gs://}
  [[ $1 == gs://* && -n ${rest%%/*} ]] || die "not a gs:// URI: $1"
  printf '%s' "${rest%%/*}"
}

# Flink duration (30s, 1min, 2m, 1h, 500ms) -> whole seconds, rounded up.
duration_seconds() {
  local d=${1// /}
  case $d in
    *ms) echo $(((${d%ms} + 999) / 1000)) ;;
    *min) echo $((${d%min} * 60)) ;;
    *s) echo "${d%s}" ;;
    *m) echo $((${d%m} * 60)) ;;
    *h) echo $((${d%h} * 3600)) ;;
    *[0-9]) echo $(((d + 999) / 1000)) ;; # Flink's default unit is milliseconds
    *) die "not a duration: $1 (e.g. 30s, 1min)" ;;
  esac
}
