// A stand-in for `buildkite-agent` in a temp PATH dir: a POSIX sh script that records every call
// (its arguments NUL-separated, its stdin) under DIR/calls, keeps meta-data in DIR/meta, and for
// `oidc request-token` fetches a token from the local OIDC issuer (with curl, or busybox wget in
// the executor image, whose audiences need no escaping in a query). It stubs only the agent.
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labTempDir } from './temp-dirs.ts';

export interface AgentCall {
  args: string[];
  stdin: string;
}

export interface FakeAgent {
  /** Put this first on PATH. */
  binDir: string;
  dir: string;
  calls(): Promise<AgentCall[]>;
}

const SCRIPT = `#!/bin/sh
set -eu
dir=__DIR__
n=$(ls "$dir/calls" | wc -l | tr -d ' ')
n=$(printf '%05d' $((n / 2)))
: > "$dir/calls/$n.args"
for a in "$@"; do printf '%s\\0' "$a" >> "$dir/calls/$n.args"; done
case "\${1:-} \${2:-}" in
  "redactor add"|"annotate "*|"meta-data set"|"pipeline upload") cat > "$dir/calls/$n.stdin" ;;
  *) : > "$dir/calls/$n.stdin" ;;
esac
case "\${1:-} \${2:-}" in
  "meta-data set") printf '%s' "$4" > "$dir/meta/$3" ;;
  "meta-data get") cat "$dir/meta/$3" ;;
  "oidc request-token")
    audience=; lifetime=300
    shift 2
    while [ $# -gt 0 ]; do
      case "$1" in --audience) audience=$2; shift ;; --lifetime) lifetime=$2; shift ;; esac
      shift
    done
    if command -v curl >/dev/null 2>&1; then
      curl -fsS -G --data-urlencode "audience=$audience" --data-urlencode "lifetime=$lifetime" __TOKEN_URL__
    else
      wget -qO- __TOKEN_URL__"?audience=$audience&lifetime=$lifetime"
    fi ;;
  "--version ") echo "buildkite-agent version 3.99.0 (kiln test stub)" ;;
esac
`;

function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function fakeBuildkiteAgent(opts: { tokenUrl?: string } = {}): Promise<FakeAgent> {
  const dir = await labTempDir('buildkite-agent');
  const binDir = join(dir, 'bin');
  await Promise.all(['bin', 'calls', 'meta'].map((d) => mkdir(join(dir, d))));
  const script = SCRIPT.replace('__DIR__', shQuote(dir)).replaceAll('__TOKEN_URL__', shQuote(opts.tokenUrl ?? 'http://127.0.0.1:9/unset'));
  await writeFile(join(binDir, 'buildkite-agent'), script);
  await chmod(join(binDir, 'buildkite-agent'), 0o755);
  return {
    binDir,
    dir,
    async calls() {
      const names = (await readdir(join(dir, 'calls'))).filter((n) => n.endsWith('.args')).sort();
      return Promise.all(names.map(async (name) => {
        const base = name.slice(0, -'.args'.length);
        const args = (await readFile(join(dir, 'calls', name), 'utf8')).split('\0').slice(0, -1);
        const stdin = await readFile(join(dir, 'calls', `${base}.stdin`), 'utf8').catch(() => '');
        return { args, stdin };
      }));
    },
  };
}
