// Typed instructions: what each instruction becomes, and the exact error for what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, toInstruction, type Instruction } from '../../../src/dockerfile/index.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

function typed(text: string): Instruction {
  const nodes = parseDockerfile(text).instructions;
  return toInstruction(nodes[nodes.length - 1]);
}

/** The instruction without position fields, for compact expectations. */
function strip(i: Instruction): Record<string, unknown> {
  const { position: _p, endLine: _e, original: _o, ...rest } = i as unknown as Record<string, unknown>;
  if (rest.kind === 'onbuild') rest.trigger = strip(rest.trigger as unknown as Instruction);
  return rest;
}

const cases: [string, Record<string, unknown>][] = [
  ['FROM alpine', { kind: 'from', image: 'alpine', stageName: undefined, platform: undefined }],
  ['FROM --platform=linux/arm64 alpine AS Build', { kind: 'from', image: 'alpine', stageName: 'Build', platform: 'linux/arm64' }],
  ['FROM a as b', { kind: 'from', image: 'a', stageName: 'b', platform: undefined }],
  ['RUN make all', { kind: 'run', args: ['make all'], shell: true, mounts: [], network: undefined, security: undefined, heredocs: [] }],
  ['RUN ["make", "all"]', { kind: 'run', args: ['make', 'all'], shell: false, mounts: [], network: undefined, security: undefined, heredocs: [] }],
  ['RUN --mount=type=secret,id=a --mount=type=ssh --network=host --security=insecure x', { kind: 'run', args: ['x'], shell: true, mounts: ['type=secret,id=a', 'type=ssh'], network: 'host', security: 'insecure', heredocs: [] }],
  ['CMD echo hi', { kind: 'cmd', args: ['echo hi'], shell: true }],
  ['CMD ["echo", "hi"]', { kind: 'cmd', args: ['echo', 'hi'], shell: false }],
  ['ENTRYPOINT ["/entry"]', { kind: 'entrypoint', args: ['/entry'], shell: false }],
  ['SHELL ["/bin/bash", "-c"]', { kind: 'shell', shell: ['/bin/bash', '-c'] }],
  ['LABEL a=b "c d"=e', { kind: 'label', labels: [{ key: 'a', value: 'b' }, { key: '"c d"', value: 'e' }] }],
  ['MAINTAINER me', { kind: 'maintainer', maintainer: 'me' }],
  ['EXPOSE 80 443/udp', { kind: 'expose', ports: ['80', '443/udp'] }],
  ['ENV A=1 B=2', { kind: 'env', vars: [{ key: 'A', value: '1' }, { key: 'B', value: '2' }] }],
  ['ENV A 1 2', { kind: 'env', vars: [{ key: 'A', value: '1 2' }] }],
  ['COPY a b /d/', { kind: 'copy', sources: ['a', 'b'], contents: [], dest: '/d/', chown: undefined, chmod: undefined, link: false, exclude: [], heredocs: [], from: undefined, parents: false }],
  ['COPY --from=build --chown=app:app --chmod=755 --link --parents --exclude=*.md --exclude=.git ./x /d', { kind: 'copy', sources: ['./x'], contents: [], dest: '/d', chown: 'app:app', chmod: '755', link: true, exclude: ['*.md', '.git'], heredocs: [], from: 'build', parents: true }],
  ['COPY --link=false a /d', { kind: 'copy', sources: ['a'], contents: [], dest: '/d', chown: undefined, chmod: undefined, link: false, exclude: [], heredocs: [], from: undefined, parents: false }],
  ['ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a.tgz /', { kind: 'add', sources: ['https://example.com/a.tgz'], contents: [], dest: '/', chown: undefined, chmod: undefined, link: false, exclude: [], heredocs: [], checksum: 'sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d', keepGitDir: false }],
  ['ADD --keep-git-dir=true git@github.com:moby/buildkit.git /bk', { kind: 'add', sources: ['git@github.com:moby/buildkit.git'], contents: [], dest: '/bk', chown: undefined, chmod: undefined, link: false, exclude: [], heredocs: [], checksum: undefined, keepGitDir: true }],
  ['VOLUME /a /b', { kind: 'volume', volumes: ['/a', '/b'] }],
  ['USER 1000:1000', { kind: 'user', user: '1000:1000' }],
  ['WORKDIR /src', { kind: 'workdir', path: '/src' }],
  ['ARG A B=2 C=', { kind: 'arg', args: [{ name: 'A' }, { name: 'B', value: '2' }, { name: 'C', value: '' }] }],
  ['STOPSIGNAL 9', { kind: 'stopsignal', signal: '9' }],
  ['HEALTHCHECK NONE', { kind: 'healthcheck', test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 }],
  ['HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=4 CMD curl -f http://localhost/', { kind: 'healthcheck', test: ['CMD-SHELL', 'curl -f http://localhost/'], interval: 300e9, timeout: 3e9, startPeriod: 90e9, startInterval: 500e6, retries: 4 }],
  ['HEALTHCHECK CMD ["pg_isready"]', { kind: 'healthcheck', test: ['CMD', 'pg_isready'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 }],
  ['HEALTHCHECK --interval=0s CMD true', { kind: 'healthcheck', test: ['CMD-SHELL', 'true'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 }],
  ['ONBUILD ADD . /app/src', { kind: 'onbuild', expression: 'ADD . /app/src', trigger: { kind: 'add', sources: ['.'], contents: [], dest: '/app/src', chown: undefined, chmod: undefined, link: false, exclude: [], heredocs: [], checksum: undefined, keepGitDir: false } }],
  ['onbuild run make', { kind: 'onbuild', expression: 'run make', trigger: { kind: 'run', args: ['make'], shell: true, mounts: [], network: undefined, security: undefined, heredocs: [] } }],
];

for (const [text, expected] of cases) {
  test(`typed: ${text}`, () => {
    assert.deepEqual(strip(typed(text)), expected);
  });
}

test('typed: COPY heredoc sources become inline contents, <<- strips tabs', () => {
  const copy = typed('COPY <<-EOF <<"RAW" file /dst/\n\tline one\n\t\tline two\n\tEOF\n$X\nRAW');
  assert.equal(copy.kind, 'copy');
  if (copy.kind !== 'copy') return;
  assert.deepEqual(copy.sources, ['file']);
  assert.deepEqual(copy.contents, [
    { path: 'EOF', data: 'line one\nline two\n', expand: true },
    { path: 'RAW', data: '$X\n', expand: false },
  ]);
});

test('typed: RUN heredoc bodies are kept with their names', () => {
  const run = typed('RUN <<EOF\necho hi\nEOF');
  assert.equal(run.kind, 'run');
  if (run.kind !== 'run') return;
  assert.deepEqual(run.heredocs.map((h) => [h.name, h.content, h.expand]), [['EOF', 'echo hi\n', true]]);
  assert.deepEqual(run.args, ['<<EOF']);
});

test('typed: positions and the original line are kept', () => {
  const i = typed('FROM a\n  COPY a \\\n  b');
  assert.deepEqual([i.position, i.endLine, i.original], [{ line: 2, column: 3 }, 3, 'COPY a   b']);
});

const errors: [string, string][] = [
  ['FORM alpine', 'Dockerfile:1:1: unknown instruction: FORM (did you mean FROM?)'],
  ['FROM a\nRNU make', 'Dockerfile:2:1: unknown instruction: RNU (did you mean RUN?)'],
  ['FROM a\nXYZZYQ', 'Dockerfile:2:1: unknown instruction: XYZZYQ'],
  ['FROM a\nCOPY --form=build a b', 'Dockerfile:2:6: unknown flag --form for COPY (did you mean --from?); COPY takes --from, --chown, --chmod, --link, --parents, --exclude'],
  ['FROM a\nADD --from=b a b', 'Dockerfile:2:5: unknown flag --from for ADD; ADD takes --chown, --chmod, --link, --keep-git-dir, --checksum, --exclude'],
  ['FROM a\nRUN --mout=type=cache,target=/c x', 'Dockerfile:2:5: unknown flag --mout for RUN (did you mean --mount?); RUN takes --mount, --network, --security'],
  ['FROM a\nUSER --x root', 'Dockerfile:2:6: unknown flag --x for USER; USER takes no flags'],
  ['FROM a\nCOPY --chown a b', 'Dockerfile:2:6: flag --chown needs a value: --chown=VALUE'],
  ['FROM a\nCOPY --link=maybe a b', 'Dockerfile:2:6: flag --link takes true or false, not "maybe"'],
  ['FROM a\nCOPY --from=a --from=b a b', 'Dockerfile:2:6: flag --from given twice'],
  ['FROM a\nONBUILD FROM b', 'Dockerfile:2:1: FROM is not allowed as an ONBUILD trigger'],
  ['FROM a\nONBUILD MAINTAINER me', 'Dockerfile:2:1: MAINTAINER is not allowed as an ONBUILD trigger'],
  ['FROM a\nONBUILD ONBUILD RUN x', 'Dockerfile:2:1: ONBUILD ONBUILD is not allowed: an ONBUILD trigger cannot register another'],
  ['FROM a\nONBUILD', 'Dockerfile:2:1: ONBUILD needs an instruction to run in the child build'],
  ['FROM a\nENV', 'Dockerfile:2:1: ENV needs at least one NAME=VALUE'],
  ['FROM a\nENV =x', 'Dockerfile:2:1: ENV names may not be blank'],
  ['FROM a\nLABEL', 'Dockerfile:2:1: LABEL needs at least one NAME=VALUE'],
  ['FROM a\nHEALTHCHECK --interval=5 CMD true', 'Dockerfile:2:13: --interval: "5" is not a duration (examples: 30s, 1m30s, 500ms)'],
  ['FROM a\nHEALTHCHECK --timeout=-1s CMD true', 'Dockerfile:2:13: --timeout: "-1s" cannot be negative'],
  ['FROM a\nHEALTHCHECK --interval=10us CMD true', 'Dockerfile:2:13: --interval: "10us" cannot be less than 1ms'],
  ['FROM a\nHEALTHCHECK --retries=-2 CMD true', 'Dockerfile:2:13: --retries cannot be negative (-2)'],
  ['FROM a\nHEALTHCHECK --retries=x CMD true', 'Dockerfile:2:13: --retries: "x" is not a whole number'],
  ['FROM a\nHEALTHCHECK NONE x', 'Dockerfile:2:1: HEALTHCHECK NONE takes no arguments'],
  ['FROM a\nHEALTHCHECK --interval=1s NONE', 'Dockerfile:2:1: HEALTHCHECK NONE takes no flags'],
  ['FROM a\nHEALTHCHECK RUN x', 'Dockerfile:2:13: unknown HEALTHCHECK type "RUN": use CMD or NONE'],
  ['FROM a\nHEALTHCHECK CMD', 'Dockerfile:2:1: HEALTHCHECK CMD needs a command'],
  ['FROM a\nHEALTHCHECK', 'Dockerfile:2:1: HEALTHCHECK needs CMD followed by a command, or NONE'],
  ['FROM a\nCOPY onlyone', 'Dockerfile:2:1: COPY needs at least a source and a destination; only "onlyone" was given'],
  ['FROM a\nADD', 'Dockerfile:2:1: ADD needs at least a source and a destination'],
  ['FROM a\nCOPY a <<EOF\nx\nEOF', 'Dockerfile:2:8: COPY cannot take a heredoc as its destination'],
  ['FROM a\nADD --checksum=md5:00 a b', 'Dockerfile:2:5: invalid --checksum "md5:00": expected sha256:HEX'],
  ['FROM a\nRUN', 'Dockerfile:2:1: RUN needs a command'],
  ['FROM a\nRUN --network=bridge x', 'Dockerfile:2:5: unsupported network mode "bridge": use default, none or host'],
  ['FROM a\nRUN --security=weird x', 'Dockerfile:2:5: unsupported security mode "weird": use sandbox or insecure'],
  ['FROM a\nSHELL /bin/sh -c', 'Dockerfile:2:1: SHELL must be written in JSON form: SHELL ["executable", "parameters"]'],
  ['FROM a\nSHELL []', 'Dockerfile:2:1: SHELL needs at least the shell executable'],
  ['FROM a\nUSER', 'Dockerfile:2:1: USER needs exactly one argument: USER NAME[:GROUP]'],
  ['FROM a\nWORKDIR', 'Dockerfile:2:1: WORKDIR needs exactly one path'],
  ['FROM a\nSTOPSIGNAL', 'Dockerfile:2:1: STOPSIGNAL needs exactly one signal'],
  ['FROM a\nMAINTAINER', 'Dockerfile:2:1: MAINTAINER needs a name'],
  ['FROM a\nEXPOSE', 'Dockerfile:2:1: EXPOSE needs at least one port'],
  ['FROM a\nVOLUME', 'Dockerfile:2:1: VOLUME needs at least one path'],
  ['FROM a\nVOLUME [""]', 'Dockerfile:2:1: VOLUME paths may not be empty'],
  ['FROM a\nARG', 'Dockerfile:2:1: ARG needs at least one NAME or NAME=DEFAULT'],
  ['FROM a\nARG =x', 'Dockerfile:2:5: ARG names may not be blank ("=x")'],
  ['FROM', 'Dockerfile:1:1: FROM takes an image and optionally "AS name": FROM IMAGE [AS NAME]'],
  ['FROM a b', 'Dockerfile:1:1: FROM takes an image and optionally "AS name": FROM IMAGE [AS NAME]'],
  ['FROM a AS', 'Dockerfile:1:1: FROM takes an image and optionally "AS name": FROM IMAGE [AS NAME]'],
  ['FROM a FOR b', 'Dockerfile:1:1: FROM takes an image and optionally "AS name": FROM IMAGE [AS NAME]'],
  ['FROM a AS 1st', 'Dockerfile:1:11: invalid stage name "1st": it must start with a letter and hold only letters, digits, "-", "_" and "."'],
  ['FROM a AS my/stage', 'Dockerfile:1:11: invalid stage name "my/stage": it must start with a letter and hold only letters, digits, "-", "_" and "."'],
  ['FROM --plattform=linux/amd64 a', 'Dockerfile:1:6: unknown flag --plattform for FROM (did you mean --platform?); FROM takes --platform'],
];

for (const [text, message] of errors) {
  test(`typed error: ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => typed(text),
      (err: unknown) => {
        assert.ok(isBuilderError(err, 'DOCKERFILE_PARSE'), `expected a DOCKERFILE_PARSE BuilderError, got ${String(err)}`);
        assert.equal(err.message, message);
        return true;
      },
    );
  });
}
