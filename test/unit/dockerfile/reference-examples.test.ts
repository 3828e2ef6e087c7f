// The examples of Docker's Dockerfile reference (ENV, ARG, LABEL, EXPOSE, heredocs, variable
// substitution, parser directives) with the results the reference states for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, planStages, formatInstruction, ShellLexer, lookupIn, type ResolveOptions, type Instruction } from '../../../src/dockerfile/index.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };

function planned(text: string, opts: ResolveOptions = {}): Instruction[][] {
  return planStages(parseDockerfile(text), { platform: amd64, buildPlatform: amd64, ...opts }).stages.map((s) => s.instructions);
}

function lines(text: string, opts: ResolveOptions = {}): string[][] {
  return planned(text, opts).map((s) => s.map(formatInstruction));
}

function envOf(instrs: Instruction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of instrs) if (i.kind === 'env') for (const v of i.vars) out[v.key] = v.value;
  return out;
}

function labelsOf(instrs: Instruction[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of instrs) if (i.kind === 'label') for (const v of i.labels) out[v.key] = v.value;
  return out;
}

function portsOf(instrs: Instruction[]): string[] {
  return instrs.flatMap((i) => (i.kind === 'expose' ? i.ports : []));
}

// ENV
test('reference ENV: one pair per line, quotes and escaped spaces', () => {
  const [s] = planned('FROM a\nENV MY_NAME="John Doe"\nENV MY_DOG=Rex\\ The\\ Dog\nENV MY_CAT=fluffy');
  assert.deepEqual(envOf(s), { MY_NAME: 'John Doe', MY_DOG: 'Rex The Dog', MY_CAT: 'fluffy' });
});

test('reference ENV: several pairs on one instruction with a continuation', () => {
  const [s] = planned('FROM a\nENV MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog \\\n    MY_CAT=fluffy');
  assert.deepEqual(envOf(s), { MY_NAME: 'John Doe', MY_DOG: 'Rex The Dog', MY_CAT: 'fluffy' });
});

test('reference ENV: the alternative syntax without "="', () => {
  const [s] = planned('FROM a\nENV MY_VAR my-value');
  assert.deepEqual(envOf(s), { MY_VAR: 'my-value' });
});

test('reference ENV: the ONE TWO= THREE=world example of the legacy form', () => {
  const [s] = planned('FROM a\nENV ONE TWO= THREE=world');
  assert.deepEqual(envOf(s), { ONE: 'TWO= THREE=world' });
});

// Variable substitution
test('reference substitution: ENV used by WORKDIR, ADD and an escaped COPY', () => {
  assert.deepEqual(lines('FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}   # WORKDIR /bar\nADD . $FOO       # ADD . /bar\nCOPY \\$FOO /quux # COPY $FOO /quux').map((s) => s.slice(1, 2)), [['WORKDIR /bar   # WORKDIR /bar']]);
  const [s] = planned('FROM busybox\nENV FOO=/bar\nWORKDIR ${FOO}\nADD . $FOO\nCOPY \\$FOO /quux');
  const [, workdir, add, copy] = s;
  assert.deepEqual([workdir.kind === 'workdir' && workdir.path, add.kind === 'add' && add.dest, copy.kind === 'copy' && copy.sources], ['/bar', '/bar', ['$FOO']]);
});

test('reference substitution: values are taken from before the instruction', () => {
  const [s] = planned('FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc');
  assert.deepEqual(envOf(s), { abc: 'bye', def: 'hello', ghi: 'bye' });
});

const modifiers: [string, Record<string, string>, string][] = [
  ['${variable:-word}', {}, 'word'],
  ['${variable:-word}', { variable: 'set' }, 'set'],
  ['${variable:+word}', { variable: 'set' }, 'word'],
  ['${variable:+word}', {}, ''],
  ['${str#f*b}', { str: 'foobarbaz' }, 'arbaz'],
  ['${str##f*b}', { str: 'foobarbaz' }, 'az'],
  ['${string%b*}', { string: 'foobarbaz' }, 'foobar'],
  ['${string%%b*}', { string: 'foobarbaz' }, 'foo'],
  ['${string/ba/fo}', { string: 'foobarbaz' }, 'fooforbaz'],
  ['${string//ba/fo}', { string: 'foobarbaz' }, 'fooforfoz'],
  ['\\$foo', { foo: 'x' }, '$foo'],
  ['\\${foo}', { foo: 'x' }, '${foo}'],
  ['${foo}_bar', { foo: 'x' }, 'x_bar'],
];

for (const [word, vars, expected] of modifiers) {
  test(`reference substitution: ${word} with ${JSON.stringify(vars)}`, () => {
    assert.equal(new ShellLexer().processWord(word, lookupIn(vars)), expected);
  });
}

// LABEL
test('reference LABEL: the example block', () => {
  const text = [
    'FROM a',
    'LABEL "com.example.vendor"="ACME Incorporated"',
    'LABEL com.example.label-with-value="foo"',
    'LABEL version="1.0"',
    'LABEL description="This text illustrates \\',
    'that label-values can span multiple lines."',
  ].join('\n');
  assert.deepEqual(labelsOf(planned(text)[0]), {
    'com.example.vendor': 'ACME Incorporated',
    'com.example.label-with-value': 'foo',
    version: '1.0',
    description: 'This text illustrates that label-values can span multiple lines.',
  });
});

test('reference LABEL: several labels on one line and with continuations', () => {
  const one = labelsOf(planned('FROM a\nLABEL multi.label1="value1" multi.label2="value2" other="value3"')[0]);
  const many = labelsOf(planned('FROM a\nLABEL multi.label1="value1" \\\n      multi.label2="value2" \\\n      other="value3"')[0]);
  const expected = { 'multi.label1': 'value1', 'multi.label2': 'value2', other: 'value3' };
  assert.deepEqual([one, many], [expected, expected]);
});

// EXPOSE
test('reference EXPOSE: udp, and tcp plus udp on two lines', () => {
  assert.deepEqual(portsOf(planned('FROM a\nEXPOSE 80/udp')[0]), ['80/udp']);
  assert.deepEqual(portsOf(planned('FROM a\nEXPOSE 80/tcp\nEXPOSE 80/udp')[0]), ['80/tcp', '80/udp']);
  assert.deepEqual(portsOf(planned('FROM a\nEXPOSE 80')[0]), ['80']);
});

// ARG
test('reference ARG: declarations without and with defaults', () => {
  assert.deepEqual(lines('FROM busybox\nARG user1\nARG buildno\n# ...'), [['ARG user1', 'ARG buildno']]);
  assert.deepEqual(lines('FROM busybox\nARG user1=someuser\nARG buildno=1\n# ...'), [['ARG user1=someuser', 'ARG buildno=1']]);
});

test('reference ARG: default scope, username used before and after its ARG', () => {
  assert.deepEqual(lines('FROM busybox\nUSER ${username:-some_user}\nARG username\nUSER $username\n# ...', { buildArgs: new Map([['username', 'what_user']]) }), [
    ['USER some_user', 'ARG username=what_user', 'USER what_user'],
  ]);
});

test('reference ARG: an ARG ends with its stage', () => {
  const stages = planStages(parseDockerfile('FROM busybox\nARG SETTINGS\nRUN ./run/setup $SETTINGS\n\nFROM busybox\nRUN ./run/other $SETTINGS'), { buildArgs: new Map([['SETTINGS', 's']]) }).stages;
  assert.deepEqual(stages.map((s) => [...s.args.keys()]), [['SETTINGS'], []]);
});

test('reference ARG: ENV with the same name wins', () => {
  const [s] = planStages(parseDockerfile('FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER'), { buildArgs: new Map([['CONT_IMG_VER', 'v2.0.1']]) }).stages;
  assert.equal(s.env.get('CONT_IMG_VER'), 'v1.0.0');
});

test('reference ARG: ENV defaulting to the ARG value', () => {
  const text = 'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nRUN echo $CONT_IMG_VER';
  const withArg = planStages(parseDockerfile(text), { buildArgs: new Map([['CONT_IMG_VER', 'v2.0.1']]) }).stages[0].env.get('CONT_IMG_VER');
  const without = planStages(parseDockerfile(text)).stages[0].env.get('CONT_IMG_VER');
  assert.deepEqual([withArg, without], ['v2.0.1', 'v1.0.0']);
});

test('reference ARG: predefined proxy args need no ARG and are not reported unused', () => {
  const { build } = planStages(parseDockerfile('FROM ubuntu\nRUN echo "Hello World"'), { buildArgs: new Map([['HTTPS_PROXY', 'https://my-proxy.example.com']]) });
  assert.deepEqual(build.unusedBuildArgs, []);
});

test('reference ARG: a declared HTTP_PROXY becomes an ordinary ARG of the stage', () => {
  const [s] = planStages(parseDockerfile('FROM ubuntu\nARG HTTP_PROXY\nRUN echo "Hello World"'), { buildArgs: new Map([['HTTP_PROXY', 'http://user:pass@proxy.lon.example.com']]) }).stages;
  assert.deepEqual(Object.fromEntries(s.args), { HTTP_PROXY: 'http://user:pass@proxy.lon.example.com' });
});

test('reference ARG: automatic platform ARG redeclared in the stage', () => {
  const [s] = planStages(parseDockerfile('FROM alpine\nARG TARGETPLATFORM\nRUN echo "I\'m building for $TARGETPLATFORM"'), { platform: { os: 'linux', architecture: 'arm64' } }).stages;
  assert.equal(s.args.get('TARGETPLATFORM'), 'linux/arm64');
});

test('reference FROM/ARG: a meta ARG in FROM lines and redeclared inside', () => {
  assert.deepEqual(planStages(parseDockerfile('ARG  CODE_VERSION=latest\nFROM base:${CODE_VERSION}\nCMD  /code/run-app\n\nFROM extras:${CODE_VERSION}\nCMD  /code/run-extras')).stages.map((s) => s.stage.base), [
    { kind: 'image', ref: 'base:latest' },
    { kind: 'image', ref: 'extras:latest' },
  ]);
  assert.deepEqual(lines('ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nRUN echo $VERSION > image_version'), [['ARG VERSION=latest', 'RUN echo $VERSION > image_version']]);
});

test('reference ARG: the build-cache examples parse with the ARG in scope', () => {
  const args = new Map([['CONT_IMG_VER', 'v2']]);
  const examples = [
    'FROM ubuntu\nARG CONT_IMG_VER\nRUN echo $CONT_IMG_VER',
    'FROM ubuntu\nARG CONT_IMG_VER\nRUN echo hello',
    'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=$CONT_IMG_VER\nRUN echo $CONT_IMG_VER',
    'FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=hello\nRUN echo $CONT_IMG_VER',
  ];
  assert.deepEqual(
    examples.map((text) => {
      const [s] = planStages(parseDockerfile(text), { buildArgs: args }).stages;
      return [s.args.get('CONT_IMG_VER'), s.env.get('CONT_IMG_VER')];
    }),
    [['v2', undefined], ['v2', undefined], ['v2', 'v2'], ['v2', 'hello']],
  );
});

test('reference ENV: DEBIAN_FRONTEND as ENV, inline in RUN, or as ARG', () => {
  assert.deepEqual(envOf(planned('FROM debian\nENV DEBIAN_FRONTEND=noninteractive')[0]), { DEBIAN_FRONTEND: 'noninteractive' });
  assert.deepEqual(lines('FROM debian\nRUN DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y ...'), [['RUN DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y ...']]);
  assert.deepEqual(lines('FROM debian\nARG DEBIAN_FRONTEND=noninteractive\nRUN apt-get update && apt-get install -y ...'), [['ARG DEBIAN_FRONTEND=noninteractive', 'RUN apt-get update && apt-get install -y ...']]);
});

test('reference LABEL: the replacement for MAINTAINER', () => {
  assert.deepEqual(labelsOf(planned('FROM a\nLABEL org.opencontainers.image.authors="SvenDowideit@home.org.au"')[0]), { 'org.opencontainers.image.authors': 'SvenDowideit@home.org.au' });
});

test('reference ARG: BuildKit\'s own build args are never reported unused', () => {
  const { build } = planStages(parseDockerfile('FROM a'), { buildArgs: new Map([['BUILDKIT_INLINE_CACHE', '1'], ['SOURCE_DATE_EPOCH', '0'], ['BUILDKIT_SYNTAX', 'x']]) });
  assert.deepEqual(build.unusedBuildArgs, []);
});

// Heredocs
function heredocsOf(text: string): [string, string, boolean][] {
  const node = parseDockerfile(text).instructions.at(-1);
  return (node?.heredocs ?? []).map((h) => [h.name, h.content, h.expand]);
}

test('reference heredoc: a script run by bash', () => {
  assert.deepEqual(heredocsOf('FROM debian\nRUN <<EOT bash\n  set -ex\n  apt-get update\n  apt-get install -y vim\nEOT'), [['EOT', '  set -ex\n  apt-get update\n  apt-get install -y vim\n', true]]);
});

test('reference heredoc: a plain multi-line RUN', () => {
  assert.deepEqual(heredocsOf('FROM debian\nRUN <<EOT\n  mkdir -p foo/bar\nEOT'), [['EOT', '  mkdir -p foo/bar\n', true]]);
});

test('reference heredoc: a shebang picks the interpreter', () => {
  assert.deepEqual(heredocsOf('FROM python:3.6\nRUN <<EOT\n#!/usr/bin/env python\nprint("hello world")\nEOT'), [['EOT', '#!/usr/bin/env python\nprint("hello world")\n', true]]);
});

test('reference heredoc: two files from one RUN', () => {
  assert.deepEqual(heredocsOf('FROM alpine\nRUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2'), [['FILE1', 'I am\nfirst\n', true], ['FILE2', 'I am\nsecond\n', true]]);
});

test('reference heredoc: COPY creates a file from inline content', () => {
  const [s] = planned('FROM alpine\nCOPY <<EOF greeting.txt\nhello world\nEOF');
  assert.deepEqual(s[0].kind === 'copy' && [s[0].contents, s[0].dest], [[{ path: 'EOF', data: 'hello world\n', expand: true }], 'greeting.txt']);
});

test('reference heredoc: unquoted delimiter expands the body at build time', () => {
  const [s] = planned('FROM alpine\nARG FOO=bar\nCOPY <<-EOT /script.sh\n  echo "hello ${FOO}"\nEOT\nENTRYPOINT ash /script.sh');
  assert.deepEqual(s[1].kind === 'copy' && s[1].contents, [{ path: 'EOT', data: '  echo "hello bar"\n', expand: true }]);
});

test('reference heredoc: quoted delimiter keeps the body literal', () => {
  const [s] = planned('FROM alpine\nARG FOO=bar\nCOPY <<-"EOT" /script.sh\n  echo "hello ${FOO}"\nEOT\nENTRYPOINT ash /script.sh');
  assert.deepEqual(s[1].kind === 'copy' && s[1].contents, [{ path: 'EOT', data: '  echo "hello ${FOO}"\n', expand: false }]);
});

// Parser directives and comments
test('reference directives: the escape example for Windows paths', () => {
  const ast = parseDockerfile('# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\');
  assert.deepEqual(ast.instructions.map((n) => n.args), [['microsoft/nanoserver'], ['testfile.txt', 'c:\\'], ['dir c:\\']]);
});

test('reference directives: without the escape directive the trailing backslash continues the line', () => {
  const ast = parseDockerfile('FROM microsoft/nanoserver\nCOPY testfile.txt c:\\\\\nRUN dir c:\\');
  assert.deepEqual(ast.instructions.map((n) => n.args), [['microsoft/nanoserver'], ['testfile.txt', 'c:\\RUN', 'dir', 'c:']]);
});

test('reference comments: leading whitespace before comments and instructions is ignored', () => {
  const ast = parseDockerfile('        # this is a comment-line\n    RUN echo hello\nRUN echo world');
  assert.deepEqual(ast.instructions.map((n) => n.args[0]), ['echo hello', 'echo world']);
});

test('reference comments: whitespace inside arguments is kept', () => {
  const ast = parseDockerfile('RUN echo "\\\n     hello\\\n     world"');
  assert.deepEqual(ast.instructions[0].args, ['echo "     hello     world"']);
});
