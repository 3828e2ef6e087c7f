// Property-based fuzzing (fast-check) of kiln's text parsers: the Dockerfile frontend, the
// .dockerignore matcher and the image reference parser. Each must answer every input with a
// result or its own error type, within HANG_MS. `npm run fuzz` runs longer (test/support/fuzz.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatPlan, parseDockerfile, planStages, toInstruction } from '../../../src/dockerfile/index.ts';
import { DockerignoreMatcher, readDockerignore } from '../../../src/context/dockerignore.ts';
import { parseReference } from '../../../src/registry/reference.ts';
import { fuzzParameters, onlyOwnErrors } from '../../support/fuzz.ts';

const DOCKERFILE_WORDS = [
  'FROM ', 'RUN ', 'COPY ', 'ADD ', 'ARG ', 'ENV ', 'LABEL ', 'WORKDIR ', 'USER ', 'ONBUILD ', 'HEALTHCHECK ', 'SHELL ',
  'CMD ', 'ENTRYPOINT ', 'EXPOSE ', 'VOLUME ', 'STOPSIGNAL ', 'AS ', 'busybox', 'scratch', '--from=', '--mount=type=',
  '--chown=', '--platform=', '--link', 'cache,target=/c', 'secret,id=s', '${A}', '${A:-x}', '${A:+y}', '${A#*/}', '$A',
  '<<EOF', '<<-EOF', 'EOF', '\n', '\\\n', '`\n', '# escape=`\n', '# syntax=docker/dockerfile:1\n', '["a", "b"]', '[',
  '"', "'", '=', ' ', '\t', '\r\n', '#', 'é', '\ufeff', '0', 'a', '/x',
];

// Realistic Dockerfiles (every instruction, heredocs, escapes, expansions) to mutate.
const CORPUS = [
  '# syntax=docker/dockerfile:1\n# escape=`\nARG BASE=alpine\nFROM ${BASE} AS a\nRUN echo `\n  hi\n',
  'ARG V=1\nFROM busybox:$V AS build\nARG V\nENV A=1 B="two words" C=${V:-x}\nWORKDIR /src/${A}\nCOPY --from=0 --chown=1:1 a b /d/\n',
  'FROM a\nRUN <<EOF bash\nset -e\necho $X\nEOF\nCOPY <<-"X" <<Y /dst/\n\tone\n\tX\ntwo\nY\n',
  'FROM a AS one\nFROM one AS two\nCOPY --from=one /a /b\nRUN --mount=type=cache,target=/c,from=one ls\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f http://x/ || exit 1\n',
  'FROM scratch\nLABEL "a b"=c d=e\nEXPOSE 80/tcp ${P:-443}\nVOLUME ["/data", "/x"]\nUSER ${U:-app}:app\nSTOPSIGNAL SIGKILL\nSHELL ["/bin/sh", "-c"]\n',
  'FROM a\nONBUILD RUN make\nCMD ["a", "b"]\nENTRYPOINT exec x\nMAINTAINER me\nENV old form value\nARG A=${B:+x} C\n',
  'FROM a\nRUN echo ${x#*/} ${y%%.*} ${z//a/b} ${w/?/} ${v:?msg}\nADD --checksum=sha256:00 --keep-git-dir=true https://x/y /z\n',
];

const mutatedDockerfile = fc
  .tuple(fc.constantFrom(...CORPUS), fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.constantFrom(...DOCKERFILE_WORDS)), { minLength: 1, maxLength: 6 }))
  .map(([text, edits]) => edits.reduce((out, [at, cut, word]) => {
    const i = at % (out.length + 1);
    return out.slice(0, i) + word + out.slice(i + cut);
  }, text));

const dockerfileText = fc.oneof(
  mutatedDockerfile,
  fc.array(fc.constantFrom(...DOCKERFILE_WORDS), { maxLength: 60 }).map((w) => w.join('')),
  fc.string({ unit: 'binary', maxLength: 300 }),
);

function exerciseDockerfile(text: string): void {
  onlyOwnErrors(['DOCKERFILE_PARSE', 'DOCKERFILE_STAGE'], () => {
    const ast = parseDockerfile(text);
    for (const node of ast.instructions) onlyOwnErrors(['DOCKERFILE_PARSE'], () => toInstruction(node));
    const { build, stages } = planStages(ast, { buildArgs: new Map([['A', 'v']]), platform: { os: 'linux', architecture: 'amd64' } });
    formatPlan(build, stages);
  });
}

test('fuzz: the Dockerfile frontend answers every input with a plan or a Dockerfile error', () => {
  fc.assert(fc.property(dockerfileText, (text) => exerciseDockerfile(text)), fuzzParameters());
});

const IGNORE_WORDS = ['*', '**', '?', '!', '/', '.', '..', '[a-z]', '[!x]', '[', ']', '\\', 'a', 'b', 'dir', '.git', ' ', '#', '\n'];
const ignoreText = fc.array(fc.constantFrom(...IGNORE_WORDS), { maxLength: 40 }).map((w) => w.join(''));
const relPath = fc.array(fc.constantFrom('a', 'b', 'dir', '.git', 'x.tmp', '[', '*', 'é'), { minLength: 1, maxLength: 5 }).map((p) => p.join('/'));

test('fuzz: the .dockerignore matcher answers every pattern set and path, or refuses a pattern with CONTEXT_INVALID', () => {
  fc.assert(
    fc.property(ignoreText, fc.array(relPath, { maxLength: 8 }), fc.boolean(), (text, paths, isDir) => {
      onlyOwnErrors(['CONTEXT_INVALID'], () => {
        const matcher = new DockerignoreMatcher(readDockerignore(text));
        for (const p of paths) {
          assert.equal(typeof matcher.ignored(p, isDir), 'boolean');
          if (isDir) matcher.canSkipDir(p);
        }
      });
    }),
    fuzzParameters(),
  );
});

test('fuzz: a literal .dockerignore line ignores exactly its path, and a later exception brings it back', () => {
  const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (parts) => {
      const path = parts.join('/');
      assert.equal(new DockerignoreMatcher([path]).ignored(path, false), true);
      assert.equal(new DockerignoreMatcher([path, `!${path}`]).ignored(path, false), false);
      assert.equal(new DockerignoreMatcher([path]).ignored(`${path}x`, false), false);
    }),
    fuzzParameters(),
  );
});

const REFERENCE_WORDS = ['docker.io/', 'localhost:5000/', '127.0.0.1:', 'library/', 'a', 'b-c', 'd_e', 'f.g', '/', ':', '@', 'sha256:', 'A', '..', '__', '-', 'latest', '0'.repeat(64), 'ü'];
const referenceText = fc.oneof(
  fc.array(fc.constantFrom(...REFERENCE_WORDS), { maxLength: 12 }).map((w) => w.join('')),
  fc.string({ maxLength: 80 }),
);

test('fuzz: image references parse or fail with REFERENCE_INVALID, and a parsed one reads back the same', () => {
  fc.assert(
    fc.property(referenceText, (text) => {
      onlyOwnErrors(['REFERENCE_INVALID'], () => {
        const ref = parseReference(text);
        const again = parseReference(ref.toString());
        assert.equal(again.toString(), ref.toString());
      });
    }),
    fuzzParameters(),
  );
});
