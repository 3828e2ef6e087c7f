// Build args, scoping and the stage graph: the resolved stages, their bases, and the
// instructions as the dry run shows them after expansion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDockerfile,
  planStages,
  resolveStages,
  formatInstruction,
  parseBuildArgs,
  proxyEnv,
  platformArgs,
  Expander,
  ShellLexer,
  StageScope,
  toInstruction,
  type ResolveOptions,
} from '../../../src/dockerfile/index.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const linuxAmd64 = { os: 'linux', architecture: 'amd64' };
const linuxArm = { os: 'linux', architecture: 'arm', variant: 'v7' };

function plan(text: string, opts: ResolveOptions = {}): { stages: string[][]; bases: string[]; unused: string[] } {
  const { build, stages } = planStages(parseDockerfile(text), { platform: linuxAmd64, buildPlatform: linuxAmd64, ...opts });
  return {
    stages: stages.map((p) => [`${p.stage.index}:${p.stage.name ?? ''}`, ...p.instructions.map(formatInstruction)]),
    bases: stages.map((p) => (p.stage.base.kind === 'image' ? p.stage.base.ref : p.stage.base.kind === 'stage' ? `stage ${p.stage.base.index}` : 'scratch')),
    unused: build.unusedBuildArgs,
  };
}

function args(list: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(list));
}

function throwsExactly(fn: () => unknown, code: 'DOCKERFILE_PARSE' | 'DOCKERFILE_STAGE', message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isBuilderError(err, code), `expected ${code}, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

test('ARG before FROM is used in FROM lines only', () => {
  const r = plan('ARG CODE_VERSION=latest\nFROM base:${CODE_VERSION}\nCMD  /code/run-app\n\nFROM extras:${CODE_VERSION}\nCMD  /code/run-extras');
  assert.deepEqual(r.bases, ['base:latest', 'extras:latest']);
});

test('a meta ARG is visible in a stage only after a bare ARG redeclares it', () => {
  const r = plan('ARG VERSION=latest\nFROM busybox:$VERSION\nWORKDIR /v$VERSION\nARG VERSION\nWORKDIR /v$VERSION');
  assert.deepEqual(r.stages, [['0:', 'WORKDIR /v', 'ARG VERSION=latest', 'WORKDIR /vlatest']]);
});

test('--build-arg overrides a meta ARG default', () => {
  const r = plan('ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nUSER $VERSION', { buildArgs: args({ VERSION: '1.36' }) });
  assert.deepEqual(r.bases, ['busybox:1.36']);
  assert.deepEqual(r.stages[0].slice(1), ['ARG VERSION=1.36', 'USER 1.36']);
});

test('a stage ARG default is used when no build arg is given, and the build arg when it is', () => {
  const text = 'FROM busybox\nARG user1=someuser\nUSER $user1';
  assert.deepEqual(plan(text).stages[0].slice(1), ['ARG user1=someuser', 'USER someuser']);
  assert.deepEqual(plan(text, { buildArgs: args({ user1: 'me' }) }).stages[0].slice(1), ['ARG user1=me', 'USER me']);
});

test('a variable used before its ARG line expands to the default form', () => {
  const r = plan('FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username', { buildArgs: args({ username: 'what_user' }) });
  assert.deepEqual(r.stages[0].slice(1), ['USER some_user', 'ARG username=what_user', 'USER what_user']);
});

test('an ARG goes out of scope at the end of its stage', () => {
  const r = plan('FROM busybox\nARG SETTINGS\nWORKDIR /$SETTINGS\n\nFROM busybox\nWORKDIR /$SETTINGS', { buildArgs: args({ SETTINGS: 'x' }) });
  assert.deepEqual(r.stages, [['0:', 'ARG SETTINGS=x', 'WORKDIR /x'], ['1:', 'WORKDIR /']]);
});

test('ENV shadows an ARG of the same name', () => {
  const r = plan('FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nWORKDIR /$CONT_IMG_VER', { buildArgs: args({ CONT_IMG_VER: 'v2.0.1' }) });
  assert.deepEqual(r.stages[0].slice(1), ['ARG CONT_IMG_VER=v2.0.1', 'ENV CONT_IMG_VER=v1.0.0', 'WORKDIR /v1.0.0']);
});

test('ENV can take its value from an ARG with a default', () => {
  const text = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nWORKDIR /$CONT_IMG_VER';
  assert.deepEqual(plan(text, { buildArgs: args({ CONT_IMG_VER: 'v2.0.1' }) }).stages[0][3], 'WORKDIR /v2.0.1');
  assert.deepEqual(plan(text).stages[0][3], 'WORKDIR /v1.0.0');
});

test('an ENV in one instruction does not see its own pairs', () => {
  const r = plan('FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc');
  assert.deepEqual(r.stages[0].slice(1), ['ENV abc=hello', 'ENV abc=bye def=hello', 'ENV ghi=bye']);
});

test('ENV of a parent stage is known to a stage built FROM it', () => {
  const r = plan('FROM a AS base\nENV DIR=/srv\nFROM base\nWORKDIR $DIR/app');
  assert.deepEqual(r.stages[1], ['1:', 'WORKDIR /srv/app']);
  assert.deepEqual(r.bases, ['a', 'stage 0']);
});

test('the automatic platform args are global: FROM sees them, a stage after ARG', () => {
  const r = plan('FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT\nWORKDIR /$TARGETOS/$TARGETARCH/$TARGETVARIANT\nLABEL p=$TARGETPLATFORM b=$BUILDPLATFORM', { platform: linuxArm });
  assert.deepEqual(r.stages[0].slice(1), ['ARG TARGETPLATFORM=linux/arm/v7 TARGETOS=linux TARGETARCH=arm TARGETVARIANT=v7', 'WORKDIR /linux/arm/v7', 'LABEL p=linux/arm/v7 b=""']);
  const resolved = resolveStages(parseDockerfile('FROM --platform=$BUILDPLATFORM a'), { platform: linuxArm, buildPlatform: linuxAmd64 });
  assert.equal(resolved.stages[0].platform, 'linux/amd64');
});

test('platformArgs gives all eight values', () => {
  assert.deepEqual(Object.fromEntries(platformArgs(linuxArm, linuxAmd64)), {
    TARGETPLATFORM: 'linux/arm/v7', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7',
    BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
  });
});

test('build args nothing declares are reported; proxy and platform args are not', () => {
  const r = plan('ARG USED_META\nFROM a\nARG USED', { buildArgs: args({ USED: '1', USED_META: '2', UNUSED: '3', ZZZ: '4', HTTP_PROXY: 'http://p', no_proxy: 'x', TARGETOS: 'linux' }) });
  assert.deepEqual(r.unused, ['UNUSED', 'ZZZ']);
});

test('build args declared only in a stage that is not built are unused', () => {
  const r = plan('FROM a AS one\nARG ONLY_ONE\nFROM b AS two', { target: 'two', skipUnusedStages: true, buildArgs: args({ ONLY_ONE: 'x' }) });
  assert.deepEqual(r.unused, ['ONLY_ONE']);
});

test('parseBuildArgs: k=v, k from the environment, k unset in the environment', () => {
  assert.deepEqual(Object.fromEntries(parseBuildArgs(['A=1', 'B', 'C', 'D=x=y', 'E='], { B: 'from-env' })), { A: '1', B: 'from-env', D: 'x=y', E: '' });
});

test('proxyEnv keeps only the predefined proxy args', () => {
  assert.deepEqual(Object.fromEntries(proxyEnv(args({ HTTP_PROXY: 'a', https_proxy: 'b', ALL_PROXY: 'c', FOO: 'd' }))), { HTTP_PROXY: 'a', https_proxy: 'b', ALL_PROXY: 'c' });
});

test('a declared proxy arg is an ordinary ARG', () => {
  const r = plan('FROM ubuntu\nARG HTTP_PROXY\nLABEL proxy=$HTTP_PROXY', { buildArgs: args({ HTTP_PROXY: 'http://p:3128' }) });
  assert.deepEqual(r.stages[0].slice(1), ['ARG HTTP_PROXY=http://p:3128', 'LABEL proxy=http://p:3128']);
});

test('an undeclared proxy arg is not visible to expansion', () => {
  const r = plan('FROM ubuntu\nLABEL proxy=x$HTTP_PROXY', { buildArgs: args({ HTTP_PROXY: 'http://p' }) });
  assert.deepEqual(r.stages[0].slice(1), ['LABEL proxy=x']);
});

test('stage names are case-insensitive in FROM and --from', () => {
  const r = plan('FROM a AS Build\nFROM BUILD\nCOPY --from=bUiLd /x /y');
  assert.deepEqual(r.bases, ['a', 'stage 0']);
});

test('COPY --from by index and by image', () => {
  const { stages } = resolveStages(parseDockerfile('FROM a\nFROM b\nCOPY --from=0 /x /y\nCOPY --from=nginx:latest /etc/nginx /n'), { platform: linuxAmd64 });
  assert.deepEqual([stages[1].dependsOn, stages[1].images], [[0], ['nginx:latest']]);
});

test('RUN --mount from= makes a dependency', () => {
  const { stages } = resolveStages(parseDockerfile('FROM a AS deps\nFROM b\nRUN --mount=type=bind,from=deps,target=/d ls'));
  assert.deepEqual(stages[1].dependsOn, [0]);
});

test('--from may use an ARG of the stage', () => {
  const { stages } = resolveStages(parseDockerfile('FROM a AS src\nFROM b\nARG FROM_STAGE=src\nCOPY --from=$FROM_STAGE /x /y'));
  assert.deepEqual(stages[1].dependsOn, [0]);
});

test('FROM scratch', () => {
  assert.deepEqual(plan('FROM scratch\nCOPY a /').bases, ['scratch']);
});

test('FROM a name equal to its own stage name is an image', () => {
  assert.deepEqual(plan('FROM node AS node').bases, ['node']);
});

test('--target picks the stage and drops what follows', () => {
  const r = plan('FROM a AS one\nFROM b AS two\nFROM c AS three', { target: 'TWO' });
  assert.deepEqual(r.stages.map((s) => s[0]), ['0:one', '1:two']);
});

test('--skip-unused-stages builds only what the target needs', () => {
  const text = 'FROM a AS base\nFROM base AS test\nFROM x AS assets\nFROM base AS final\nCOPY --from=assets /a /a';
  assert.deepEqual(plan(text, { skipUnusedStages: true }).stages.map((s) => s[0]), ['0:base', '2:assets', '3:final']);
  assert.deepEqual(plan(text).stages.map((s) => s[0]), ['0:base', '1:test', '2:assets', '3:final']);
});

test('mount dependencies count for --skip-unused-stages', () => {
  const text = 'FROM a AS deps\nFROM b AS unused\nFROM c\nRUN --mount=from=deps,target=/d ls';
  assert.deepEqual(plan(text, { skipUnusedStages: true }).stages.map((s) => s[0]), ['0:deps', '2:']);
});

test('COPY and ADD expand sources, destination, --chown and heredoc bodies', () => {
  const r = plan('FROM a\nARG U=app D=/srv\nCOPY --chown=$U:$U ${D}/in $D/out\nCOPY <<EOF <<"RAW" $D/\nhello $U "q"\nEOF\nliteral $U\nRAW');
  assert.deepEqual(r.stages[0].slice(2), ['COPY --chown=app:app /srv/in /srv/out', 'COPY <<EOF <<RAW /srv/\nhello app "q"\nEOF\nliteral $U\nRAW']);
});

test('COPY \\$FOO keeps the dollar', () => {
  const r = plan('FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux');
  assert.deepEqual(r.stages[0].slice(1), ['ENV FOO=/bar', 'WORKDIR /bar', 'ADD . /bar', 'COPY "$FOO" /quux']);
});

test('RUN, CMD, ENTRYPOINT and HEALTHCHECK are not expanded by the builder', () => {
  const r = plan('FROM a\nENV X=1\nRUN echo $X\nCMD echo $X\nENTRYPOINT ["echo", "$X"]\nHEALTHCHECK CMD test $X');
  assert.deepEqual(r.stages[0].slice(2), ['RUN echo $X', 'CMD echo $X', 'ENTRYPOINT ["echo","$X"]', 'HEALTHCHECK CMD test $X']);
});

test('RUN --mount values are expanded', () => {
  const r = plan('FROM a\nARG CACHE=/root/.cache\nRUN --mount=type=cache,target=$CACHE make');
  assert.deepEqual(r.stages[0][2], 'RUN --mount=type=cache,target=/root/.cache make');
});

test('EXPOSE splits an expanded variable into ports', () => {
  const r = plan('FROM a\nARG PORTS="80 443/udp"\nEXPOSE $PORTS 8080');
  assert.deepEqual(r.stages[0][2], 'EXPOSE 80 443/udp 8080');
});

test('USER, WORKDIR, STOPSIGNAL, VOLUME and LABEL expand as one word', () => {
  const r = plan('FROM a\nENV U="a b" S=SIGTERM\nUSER $U\nWORKDIR /$U\nSTOPSIGNAL $S\nVOLUME $U /v\nLABEL "k $S"="$U"');
  assert.deepEqual(r.stages[0].slice(2), ['USER a b', 'WORKDIR /a b', 'STOPSIGNAL SIGTERM', 'VOLUME ["a b","/v"]', 'LABEL k SIGTERM="a b"']);
});

test('ONBUILD is kept as written', () => {
  assert.deepEqual(plan('FROM a\nENV X=1\nONBUILD RUN echo $X').stages[0][2], 'ONBUILD RUN echo $X');
});

test('the Expander expands with a live scope, as the engine will', () => {
  const ast = parseDockerfile('FROM a\nENV HOME_DIR=$HOME/app\nWORKDIR $HOME_DIR');
  const expander = new Expander(new ShellLexer());
  const scope = new StageScope(new Map([['HOME', '/root']]));
  const env = expander.instruction(toInstruction(ast.instructions[1]), scope.lookup);
  assert.equal(env.kind, 'env');
  if (env.kind === 'env') for (const v of env.vars) scope.setEnv(v.key, v.value);
  const wd = expander.instruction(toInstruction(ast.instructions[2]), scope.lookup);
  assert.deepEqual(wd.kind === 'workdir' && wd.path, '/root/app');
});

test('StageScope: an ARG without a value is unset, ENV wins, argValues leaves shadowed ones out', () => {
  const s = new StageScope();
  s.declareArg('A', undefined);
  s.declareArg('B', 'arg');
  s.declareArg('C', 'c');
  s.setEnv('B', 'env');
  assert.deepEqual([s.lookup('A'), s.lookup('B'), s.lookup('C')], [undefined, 'env', 'c']);
  assert.deepEqual(Object.fromEntries(s.argValues()), { C: 'c' });
});

const graphErrors: [string, string, ResolveOptions, 'DOCKERFILE_PARSE' | 'DOCKERFILE_STAGE', string][] = [
  ['empty file', '', {}, 'DOCKERFILE_PARSE', 'Dockerfile:1:1: the Dockerfile has no instructions'],
  ['only comments', '# nothing\n\n', {}, 'DOCKERFILE_PARSE', 'Dockerfile:1:1: the Dockerfile has no instructions'],
  ['no FROM', 'ARG A=1\nARG B', {}, 'DOCKERFILE_PARSE', 'Dockerfile:1:1: the Dockerfile has no FROM instruction, so no stage to build'],
  ['instruction before FROM', 'ARG A\nRUN x\nFROM a', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: RUN before the first FROM: only ARG may come before FROM'],
  ['unknown target', 'FROM a AS build\nFROM b AS test\nFROM c', { target: 'prod' }, 'DOCKERFILE_STAGE', '--target prod: no such stage in Dockerfile; the named stages are: build, test'],
  ['target with no named stages', 'FROM a', { target: 'x' }, 'DOCKERFILE_STAGE', '--target x: no such stage in Dockerfile; no stage has a name (use FROM IMAGE AS NAME)'],
  ['duplicate stage name', 'FROM a AS x\nFROM b AS X', {}, 'DOCKERFILE_STAGE', 'Dockerfile:2:1: duplicate stage name "x": already used at line 1'],
  ['copy from a later stage', 'FROM a AS one\nCOPY --from=two /a /b\nFROM b AS two', {}, 'DOCKERFILE_STAGE', 'Dockerfile:2:1: --from=two: stage "two" is defined later (line 3); only earlier stages can be used'],
  ['copy from itself', 'FROM a AS one\nCOPY --from=one /a /b', {}, 'DOCKERFILE_STAGE', 'Dockerfile:2:1: --from=one: stage "one" cannot read from itself (a cycle)'],
  ['copy from its own index', 'FROM a\nFROM b\nCOPY --from=1 /a /b', {}, 'DOCKERFILE_STAGE', 'Dockerfile:3:1: --from=1: no stage 1 to read from; a stage cannot read from itself (a cycle)'],
  ['copy from a missing index', 'FROM a\nFROM b\nCOPY --from=5 /a /b', {}, 'DOCKERFILE_STAGE', 'Dockerfile:3:1: --from=5: no stage 5 to read from; earlier stages are 0..0'],
  ['mount from a later stage', 'FROM a\nRUN --mount=from=z,target=/z ls\nFROM b AS z', {}, 'DOCKERFILE_STAGE', 'Dockerfile:2:1: mount from=z: stage "z" is defined later (line 3); only earlier stages can be used'],
  ['bad mount', 'FROM a\nRUN --mount=type=nfs,target=/x ls', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: --mount=type=nfs,target=/x: unsupported mount type "nfs"'],
  ['cache mount without target', 'FROM a\nRUN --mount=type=cache ls', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: --mount=type=cache: a cache mount needs a target'],
  ['FROM expands to nothing', 'ARG IMG\nFROM $IMG', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: FROM $IMG: the base image name is empty after expanding the build args'],
  ['required build arg missing', 'ARG IMG\nFROM ${IMG:?required}', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: FROM: cannot expand "${IMG:?required}": IMG: required'],
  ['bad substitution in a stage', 'FROM a\nWORKDIR ${}', {}, 'DOCKERFILE_PARSE', 'Dockerfile:2:1: WORKDIR: cannot expand "${}": syntax error: bad substitution'],
];

for (const [name, text, opts, code, message] of graphErrors) {
  test(`stage error: ${name}`, () => {
    throwsExactly(() => planStages(parseDockerfile(text), opts), code, message);
  });
}
