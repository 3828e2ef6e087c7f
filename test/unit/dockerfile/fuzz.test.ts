// Bounded, seeded fuzzing: 20,000 mutated Dockerfiles per run. The frontend must answer each with
// a result or a DOCKERFILE_PARSE error (DOCKERFILE_STAGE too once stages are resolved): never a
// crash, another exception or a hang. Reproduce a failure with KILN_FUZZ_SEED=<seed>.
import { prng } from '../../support/prng.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, toInstruction, planStages, formatPlan } from '../../../src/dockerfile/index.ts';
import { BuilderError } from '../../../src/util/errors.ts';

const RUNS = 20_000;
const SEED = Number(process.env.KILN_FUZZ_SEED ?? 0x6b696c6e);

const CORPUS = [
  '# syntax=docker/dockerfile:1\n# escape=`\nARG BASE=alpine\nFROM ${BASE} AS a\nRUN echo `\n  hi\n',
  'ARG V=1\nFROM busybox:$V AS build\nARG V\nENV A=1 B="two words" C=${V:-x}\nWORKDIR /src/${A}\nCOPY --from=0 --chown=1:1 a b /d/\n',
  'FROM a\nRUN <<EOF bash\nset -e\necho $X\nEOF\nCOPY <<-"X" <<Y /dst/\n\tone\n\tX\ntwo\nY\n',
  'FROM a AS one\nFROM one AS two\nCOPY --from=one /a /b\nRUN --mount=type=cache,target=/c,from=one ls\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f http://x/ || exit 1\n',
  'FROM scratch\nLABEL "a b"=c d=e\nEXPOSE 80/tcp ${P:-443}\nVOLUME ["/data", "/x"]\nUSER ${U:-app}:app\nSTOPSIGNAL SIGKILL\nSHELL ["/bin/sh", "-c"]\n',
  'FROM a\nONBUILD RUN make\nCMD ["a", "b"]\nENTRYPOINT exec x\nMAINTAINER me\nENV old form value\nARG A=${B:+x} C\n',
  'FROM a\nRUN echo ${x#*/} ${y%%.*} ${z//a/b} ${w/?/} ${v:?msg}\nADD --checksum=sha256:00 --keep-git-dir=true https://x/y /z\n',
];

const FRAGMENTS = [
  '\\', '`', '"', "'", '$', '${', '}', '{', ':', '-', '+', '?', '#', '%', '/', '//', '<<', '<<-', '<<"E"', 'EOF', '\n', '\r\n',
  ' ', '\t', '[', ']', '["a"]', ',', '=', '--', '--from=', '--mount=', '--platform=', 'FROM ', 'RUN ', 'COPY ', 'ONBUILD ',
  'HEALTHCHECK ', 'ARG ', 'ENV ', 'AS ', '# escape=`\n', '# escape=\\\n', '\ufeff', '\u00a0', 'é', '0', '9',
];

function mutate(text: string, rand: () => number): string {
  let out = text;
  const steps = 1 + Math.floor(rand() * 6);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(rand() * (out.length + 1));
    const op = rand();
    if (op < 0.45) {
      out = out.slice(0, at) + FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)] + out.slice(at);
    } else if (op < 0.7) {
      out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 8));
    } else if (op < 0.85) {
      const from = Math.floor(rand() * out.length);
      out = out.slice(0, at) + out.slice(from, from + Math.floor(rand() * 20)) + out.slice(at);
    } else {
      out = out.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + out.slice(at);
    }
  }
  return out;
}

function exercise(text: string): void {
  let ast;
  try {
    ast = parseDockerfile(text);
    for (const node of ast.instructions) {
      try {
        toInstruction(node);
      } catch (err) {
        if (!(err instanceof BuilderError && err.code === 'DOCKERFILE_PARSE')) throw err;
      }
    }
  } catch (err) {
    if (err instanceof BuilderError && err.code === 'DOCKERFILE_PARSE') return;
    throw err;
  }
  try {
    const { build, stages } = planStages(ast, { buildArgs: new Map([['V', '2']]), platform: { os: 'linux', architecture: 'amd64' } });
    formatPlan(build, stages);
  } catch (err) {
    if (err instanceof BuilderError && (err.code === 'DOCKERFILE_PARSE' || err.code === 'DOCKERFILE_STAGE')) return;
    throw err;
  }
}

test(`fuzz: ${RUNS} mutated Dockerfiles (seed ${SEED}) give a result or a Dockerfile error`, { timeout: 120_000 }, () => {
  const rand = prng(SEED);
  let slowest = 0;
  let errors = 0;
  for (let i = 0; i < RUNS; i++) {
    const input = mutate(CORPUS[i % CORPUS.length], rand);
    const start = performance.now();
    try {
      exercise(input);
    } catch (err) {
      errors++;
      assert.fail(`run ${i} (seed ${SEED}) threw ${String((err as Error)?.stack ?? err)}\ninput: ${JSON.stringify(input)}`);
    }
    slowest = Math.max(slowest, performance.now() - start);
  }
  assert.equal(errors, 0);
  // A hang shows up as one slow input long before the test timeout.
  assert.ok(slowest < 2000, `slowest input took ${slowest.toFixed(1)} ms`);
});

test('fuzz: the generator is reproducible', () => {
  const a = prng(42);
  const b = prng(42);
  assert.deepEqual([mutate(CORPUS[0], a), mutate(CORPUS[1], a)], [mutate(CORPUS[0], b), mutate(CORPUS[1], b)]);
});
