// Parser cases: Dockerfile text and the exact nodes (keyword, flags, arguments, form, position).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/dockerfile/index.ts';
import type { InstructionNode } from '../../../src/dockerfile/index.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

interface Shape {
  cmd: string;
  flags?: string[];
  args?: string[];
  json?: boolean;
  pairs?: [string, string, boolean][];
  at?: [number, number];
}

function shape(n: InstructionNode): Shape {
  const s: Shape = { cmd: n.keyword };
  if (n.flags.length) s.flags = n.flags;
  if (n.args.length) s.args = n.args;
  if (n.json) s.json = true;
  if (n.pairs) s.pairs = n.pairs.map((p) => [p.key, p.value, p.legacy]);
  s.at = [n.position.line, n.position.column];
  return s;
}

const cases: [string, string, Shape[]][] = [
  ['simple FROM', 'FROM alpine', [{ cmd: 'FROM', args: ['alpine'], at: [1, 1] }]],
  ['FROM AS', 'FROM alpine:3.20 AS build', [{ cmd: 'FROM', args: ['alpine:3.20', 'AS', 'build'], at: [1, 1] }]],
  ['FROM platform flag', 'FROM --platform=$BUILDPLATFORM golang AS b', [{ cmd: 'FROM', flags: ['--platform=$BUILDPLATFORM'], args: ['golang', 'AS', 'b'], at: [1, 1] }]],
  ['lower-case keyword', 'from alpine', [{ cmd: 'from', args: ['alpine'], at: [1, 1] }]],
  ['leading whitespace gives the column', 'FROM a\n    RUN echo hi', [{ cmd: 'FROM', args: ['a'], at: [1, 1] }, { cmd: 'RUN', args: ['echo hi'], at: [2, 5] }]],
  ['RUN shell form keeps the text', 'RUN echo "a  b" && ls', [{ cmd: 'RUN', args: ['echo "a  b" && ls'], at: [1, 1] }]],
  ['RUN exec form', 'RUN ["/bin/sh", "-c", "echo hi"]', [{ cmd: 'RUN', args: ['/bin/sh', '-c', 'echo hi'], json: true, at: [1, 1] }]],
  ['invalid JSON falls back to shell form', "RUN ['/bin/bash', '-c', 'echo hello']", [{ cmd: 'RUN', args: ["['/bin/bash', '-c', 'echo hello']"], at: [1, 1] }]],
  ['unclosed JSON falls back to shell form', 'CMD ["a", "b"', [{ cmd: 'CMD', args: ['["a", "b"'], at: [1, 1] }]],
  ['JSON escapes are decoded', 'RUN ["c:\\\\windows\\\\system32\\\\tasklist.exe"]', [{ cmd: 'RUN', args: ['c:\\windows\\system32\\tasklist.exe'], json: true, at: [1, 1] }]],
  ['empty JSON array', 'CMD []', [{ cmd: 'CMD', json: true, at: [1, 1] }]],
  ['ENTRYPOINT exec', 'ENTRYPOINT ["top", "-b"]', [{ cmd: 'ENTRYPOINT', args: ['top', '-b'], json: true, at: [1, 1] }]],
  ['RUN flags', 'RUN --mount=type=cache,target=/c --network=none make', [{ cmd: 'RUN', flags: ['--mount=type=cache,target=/c', '--network=none'], args: ['make'], at: [1, 1] }]],
  ['quoted flag value', 'RUN --mount="type=bind,target=/a b" ls', [{ cmd: 'RUN', flags: ['--mount=type=bind,target=/a b'], args: ['ls'], at: [1, 1] }]],
  ['"--" ends the flags', 'RUN -- --not-a-flag', [{ cmd: 'RUN', args: [' --not-a-flag'], at: [1, 1] }]],
  ['single dash is not a flag', 'RUN -x', [{ cmd: 'RUN', args: ['-x'], at: [1, 1] }]],
  ['COPY sources and dest', 'COPY --chown=1:1 a b /dst/', [{ cmd: 'COPY', flags: ['--chown=1:1'], args: ['a', 'b', '/dst/'], at: [1, 1] }]],
  ['COPY JSON form', 'COPY ["a b", "/d"]', [{ cmd: 'COPY', args: ['a b', '/d'], json: true, at: [1, 1] }]],
  ['ADD several flags', 'ADD --link --checksum=sha256:ab --keep-git-dir=true src /d', [{ cmd: 'ADD', flags: ['--link', '--checksum=sha256:ab', '--keep-git-dir=true'], args: ['src', '/d'], at: [1, 1] }]],
  ['VOLUME words', 'VOLUME /a /b', [{ cmd: 'VOLUME', args: ['/a', '/b'], at: [1, 1] }]],
  ['VOLUME JSON', 'VOLUME ["/data"]', [{ cmd: 'VOLUME', args: ['/data'], json: true, at: [1, 1] }]],
  ['EXPOSE words', 'EXPOSE 80/tcp  443', [{ cmd: 'EXPOSE', args: ['80/tcp', '443'], at: [1, 1] }]],
  ['USER one string', 'USER app:app', [{ cmd: 'USER', args: ['app:app'], at: [1, 1] }]],
  ['WORKDIR keeps spaces', 'WORKDIR /my dir', [{ cmd: 'WORKDIR', args: ['/my dir'], at: [1, 1] }]],
  ['STOPSIGNAL', 'STOPSIGNAL SIGTERM', [{ cmd: 'STOPSIGNAL', args: ['SIGTERM'], at: [1, 1] }]],
  ['MAINTAINER', 'MAINTAINER Jane <j@example.com>', [{ cmd: 'MAINTAINER', args: ['Jane <j@example.com>'], at: [1, 1] }]],
  ['SHELL JSON', 'SHELL ["powershell", "-command"]', [{ cmd: 'SHELL', args: ['powershell', '-command'], json: true, at: [1, 1] }]],
  ['ARG words keep quotes', 'ARG a="x y" b', [{ cmd: 'ARG', args: ['a="x y"', 'b'], at: [1, 1] }]],
  ['ENV pairs', 'ENV A=1 B="two words"', [{ cmd: 'ENV', pairs: [['A', '1', false], ['B', '"two words"', false]], at: [1, 1] }]],
  ['ENV legacy form', 'ENV MY_VAR my value', [{ cmd: 'ENV', pairs: [['MY_VAR', 'my value', true]], at: [1, 1] }]],
  ['ENV escaped space', 'ENV MY_DOG=Rex\\ The\\ Dog', [{ cmd: 'ENV', pairs: [['MY_DOG', 'Rex\\ The\\ Dog', false]], at: [1, 1] }]],
  ['ENV empty value', 'ENV A=', [{ cmd: 'ENV', pairs: [['A', '', false]], at: [1, 1] }]],
  ['LABEL quoted key', 'LABEL "com.example.vendor"="ACME Incorporated"', [{ cmd: 'LABEL', pairs: [['"com.example.vendor"', '"ACME Incorporated"', false]], at: [1, 1] }]],
  ['HEALTHCHECK shell', 'HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1', [{ cmd: 'HEALTHCHECK', flags: ['--interval=5m', '--timeout=3s'], args: ['CMD', 'curl -f http://localhost/ || exit 1'], at: [1, 1] }]],
  ['HEALTHCHECK exec', 'HEALTHCHECK CMD ["curl", "-f"]', [{ cmd: 'HEALTHCHECK', args: ['CMD', 'curl', '-f'], json: true, at: [1, 1] }]],
  ['HEALTHCHECK NONE', 'HEALTHCHECK NONE', [{ cmd: 'HEALTHCHECK', args: ['NONE'], at: [1, 1] }]],
  ['continuation joins lines', 'RUN echo a \\\n  b', [{ cmd: 'RUN', args: ['echo a   b'], at: [1, 1] }]],
  ['continuation with trailing blanks after the backslash', 'RUN a \\  \nb', [{ cmd: 'RUN', args: ['a b'], at: [1, 1] }]],
  ['comment inside continuation is dropped', 'RUN echo hello \\\n# comment\nworld', [{ cmd: 'RUN', args: ['echo hello world'], at: [1, 1] }]],
  ['indented comment inside continuation is dropped', 'RUN a \\\n   # note\n b', [{ cmd: 'RUN', args: ['a  b'], at: [1, 1] }]],
  ['blank line inside continuation is skipped', 'RUN a \\\n\nb', [{ cmd: 'RUN', args: ['a b'], at: [1, 1] }]],
  ['comment lines are skipped', '# first\nFROM a\n  # indented comment\nRUN b', [{ cmd: 'FROM', args: ['a'], at: [2, 1] }, { cmd: 'RUN', args: ['b'], at: [4, 1] }]],
  ['# in the middle is an argument', 'RUN echo # not a comment', [{ cmd: 'RUN', args: ['echo # not a comment'], at: [1, 1] }]],
  ['CRLF line ends', 'FROM a\r\nRUN b\r\n', [{ cmd: 'FROM', args: ['a'], at: [1, 1] }, { cmd: 'RUN', args: ['b'], at: [2, 1] }]],
  ['byte order mark', '\ufeffFROM a', [{ cmd: 'FROM', args: ['a'], at: [1, 1] }]],
  ['whitespace inside a quoted continuation is kept', 'RUN echo "\\\n     hello\\\n     world"', [{ cmd: 'RUN', args: ['echo "     hello     world"'], at: [1, 1] }]],
  ['backtick escape', '# escape=`\nFROM a\nCOPY testfile.txt c:\\\nRUN dir c:\\', [{ cmd: 'FROM', args: ['a'], at: [2, 1] }, { cmd: 'COPY', args: ['testfile.txt', 'c:\\'], at: [3, 1] }, { cmd: 'RUN', args: ['dir c:\\'], at: [4, 1] }]],
  ['backtick continuation', '# escape=`\nRUN a `\n b', [{ cmd: 'RUN', args: ['a  b'], at: [2, 1] }]],
  ['backslash is not a continuation under backtick escape', '# escape=`\nRUN a \\\nRUN b', [{ cmd: 'RUN', args: ['a \\'], at: [2, 1] }, { cmd: 'RUN', args: ['b'], at: [3, 1] }]],
  ['escape directive after a comment is a comment', '# hello\n# escape=`\nRUN a \\\n b', [{ cmd: 'RUN', args: ['a  b'], at: [3, 1] }]],
  ['escape directive after a blank line is a comment', '\n# escape=`\nRUN a \\\n b', [{ cmd: 'RUN', args: ['a  b'], at: [3, 1] }]],
  ['line continuation breaks a would-be directive', '# direc \\\ntive=value\nFROM a', [{ cmd: 'tive=value', at: [2, 1] }, { cmd: 'FROM', args: ['a'], at: [3, 1] }]],
  ['ONBUILD trigger', 'ONBUILD RUN make', [{ cmd: 'ONBUILD', at: [1, 1] }]],
  ['unknown keyword kept for the typed layer', 'FORM a', [{ cmd: 'FORM', at: [1, 1] }]],
  ['keyword alone', 'CMD', [{ cmd: 'CMD', at: [1, 1] }]],
  ['lone continuation before an instruction', '\\\nFROM a', [{ cmd: 'FROM', args: ['a'], at: [1, 1] }]],
  ['tabs between words', 'FROM\ta\tAS\tb', [{ cmd: 'FROM', args: ['a', 'AS', 'b'], at: [1, 1] }]],
  ['trailing whitespace is trimmed', 'USER root   ', [{ cmd: 'USER', args: ['root'], at: [1, 1] }]],
];

for (const [name, text, expected] of cases) {
  test(`parse: ${name}`, () => {
    assert.deepEqual(parseDockerfile(text).instructions.map(shape), expected);
  });
}

test('parse: directives are recorded with their positions', () => {
  const ast = parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\n# escape=`\nFROM a');
  assert.deepEqual(ast.directives, [
    { name: 'syntax', value: 'docker/dockerfile:1', position: { line: 1, column: 1 } },
    { name: 'check', value: 'skip=all', position: { line: 2, column: 1 } },
    { name: 'escape', value: '`', position: { line: 3, column: 1 } },
  ]);
  assert.equal(ast.escapeToken, '`');
});

const directiveSpellings = ['#escape=`', '# escape =`', '#\tescape= `', '# escape = `', '#\t  eScApE=`'];
for (const line of directiveSpellings) {
  test(`parse: directive spelling ${JSON.stringify(line)}`, () => {
    assert.equal(parseDockerfile(`${line}\nFROM a`).escapeToken, '`');
  });
}

test('parse: a directive after an instruction is a comment', () => {
  const ast = parseDockerfile('FROM a\n# escape=`');
  assert.deepEqual(ast.directives, []);
  assert.equal(ast.escapeToken, '\\');
});

test('parse: unknown directives end the directive block', () => {
  const ast = parseDockerfile('# unknowndirective=value\n# escape=`\nFROM a');
  assert.deepEqual(ast.directives, []);
});

test('parse: ONBUILD keeps its trigger node', () => {
  const [node] = parseDockerfile('ONBUILD COPY --chown=1 . /app').instructions;
  assert.deepEqual(node.trigger && shape(node.trigger), { cmd: 'COPY', flags: ['--chown=1'], args: ['.', '/app'], at: [1, 1] });
});

test('parse: comments directly above an instruction are kept', () => {
  const [node] = parseDockerfile('# build the thing\n# quickly\nRUN make').instructions;
  assert.deepEqual(node.comments, ['build the thing', 'quickly']);
});

test('parse: empty continuation lines give a warning with the position', () => {
  const ast = parseDockerfile('FROM a\nRUN a \\\n\n  b');
  assert.deepEqual(ast.warnings.map((w) => [w.position.line, w.position.column]), [[2, 1]]);
});

test('parse: end line covers continuations', () => {
  const [, run] = parseDockerfile('FROM a\nRUN a \\\n b \\\n c\nUSER x').instructions;
  assert.deepEqual([run.position.line, run.endLine], [2, 4]);
});

const heredocCases: [string, string, { args: string[]; docs: [string, string, boolean, boolean, number][] }][] = [
  ['script heredoc', 'RUN <<EOT bash\n  set -ex\n  apt-get update\nEOT', { args: ['<<EOT bash'], docs: [['EOT', '  set -ex\n  apt-get update\n', true, false, 0]] }],
  ['a shebang line inside is content', 'RUN <<EOT\n#!/usr/bin/env python\nprint("hello world")\nEOT', { args: ['<<EOT'], docs: [['EOT', '#!/usr/bin/env python\nprint("hello world")\n', true, false, 0]] }],
  ['two heredocs on one line', 'RUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2', { args: ['<<FILE1 cat > file1 && <<FILE2 cat > file2'], docs: [['FILE1', 'I am\nfirst\n', true, false, 0], ['FILE2', 'I am\nsecond\n', true, false, 0]] }],
  ['quoted delimiter disables expansion', 'COPY <<"EOF" /a\n$X\nEOF', { args: ['<<"EOF"', '/a'], docs: [['EOF', '$X\n', false, false, 0]] }],
  ['single-quoted delimiter', "COPY <<'EOF' /a\n$X\nEOF", { args: ["<<'EOF'", '/a'], docs: [['EOF', '$X\n', false, false, 0]] }],
  ['partly quoted delimiter', 'COPY <<E"O"F /a\nx\nEOF', { args: ['<<E"O"F', '/a'], docs: [['EOF', 'x\n', false, false, 0]] }],
  ['chomp strips tabs from the terminator', 'RUN <<-EOT sh\n\techo hi\n\tEOT', { args: ['<<-EOT sh'], docs: [['EOT', '\techo hi\n', true, true, 0]] }],
  ['file descriptor', 'RUN 3<<EOF cat /dev/fd/3\nx\nEOF', { args: ['3<<EOF cat /dev/fd/3'], docs: [['EOF', 'x\n', true, false, 3]] }],
  ['COPY two heredocs', 'COPY <<robots.txt <<humans.txt /usr/share/nginx/html/\nUser-agent: *\nrobots.txt\nhumans\nhumans.txt', { args: ['<<robots.txt', '<<humans.txt', '/usr/share/nginx/html/'], docs: [['robots.txt', 'User-agent: *\n', true, false, 0], ['humans.txt', 'humans\n', true, false, 0]] }],
  ['heredoc body keeps blank lines and comments', 'RUN <<EOF\n\n# c\n\\\nEOF', { args: ['<<EOF'], docs: [['EOF', '\n# c\n\\\n', true, false, 0]] }],
  ['<< inside quotes is not a heredoc', 'RUN echo "<<EOF"', { args: ['echo "<<EOF"'], docs: [] }],
  ['<< glued to a word is not a heredoc', 'RUN cat<<EOF', { args: ['cat<<EOF'], docs: [] }],
  ['exec form has no heredocs', 'RUN ["cat", "<<EOF"]', { args: ['cat', '<<EOF'], docs: [] }],
  ['ENV ignores <<', 'ENV A=<<EOF', { args: [], docs: [] }],
  ['empty body', 'RUN <<EOF\nEOF', { args: ['<<EOF'], docs: [['EOF', '', true, false, 0]] }],
];

for (const [name, text, expected] of heredocCases) {
  test(`heredoc: ${name}`, () => {
    const [node] = parseDockerfile(text).instructions;
    assert.deepEqual(
      { args: node.args, docs: node.heredocs.map((h) => [h.name, h.content, h.expand, h.chomp, h.fd]) },
      expected,
    );
  });
}

test('heredoc: the instruction after a heredoc is parsed normally', () => {
  const ast = parseDockerfile('FROM a\nRUN <<EOF\necho\nEOF\nUSER b');
  assert.deepEqual(ast.instructions.map((n) => [n.keyword, n.position.line, n.endLine]), [['FROM', 1, 1], ['RUN', 2, 4], ['USER', 5, 5]]);
  assert.deepEqual(ast.instructions[1].heredocs[0].position, { line: 3, column: 1 });
});

test('heredoc: ONBUILD RUN carries the heredoc on its trigger', () => {
  const [node] = parseDockerfile('ONBUILD RUN <<EOF\necho\nEOF').instructions;
  assert.deepEqual(node.trigger?.heredocs.map((h) => h.content), ['echo\n']);
});

const parseErrors: [string, string, string][] = [
  ['unterminated heredoc', 'FROM a\nRUN <<EOF\necho hi', 'Dockerfile:2:1: unterminated heredoc <<EOF: no line reads "EOF" before the end of the file'],
  ['exec form with a number', 'FROM a\nCMD ["a", 1]', 'Dockerfile:2:1: a JSON array (exec form) may hold only strings'],
  ['ENV name without a value', 'FROM a\nENV FOO', 'Dockerfile:2:1: ENV FOO has a name but no value: write FOO=VALUE'],
  ['ENV pair without =', 'FROM a\nENV A=1 B', 'Dockerfile:2:1: ENV: no "=" in "B"; each word must be NAME=VALUE'],
  ['LABEL name without a value', 'FROM a\nLABEL x', 'Dockerfile:2:1: LABEL x has a name but no value: write x=VALUE'],
  ['bad escape directive', '# escape=x\nFROM a', 'Dockerfile:1:1: invalid escape token "x": use \\ or `'],
  ['repeated directive', '# escape=`\n# escape=\\\nFROM a', 'Dockerfile:2:1: the escape parser directive may appear only once'],
];

for (const [name, text, message] of parseErrors) {
  test(`parse error: ${name}`, () => {
    assert.throws(
      () => parseDockerfile(text),
      (err: unknown) => isBuilderError(err, 'DOCKERFILE_PARSE') && err.message === message,
    );
  });
}

test('parse error: the file name is the one given', () => {
  assert.throws(() => parseDockerfile('RUN <<X', { file: 'build/app.Dockerfile' }), { message: /^build\/app\.Dockerfile:1:1: unterminated heredoc/ });
});
