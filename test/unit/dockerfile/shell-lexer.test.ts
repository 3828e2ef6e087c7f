// Word expansion cases: input word, the variables set, and the exact result or error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellLexer, ExpansionError, lookupIn } from '../../../src/dockerfile/shell-lexer.ts';

const env = lookupIn({ PWD: '/home', SHELL: 'bash', NULL: '', str: 'foobarbaz', path: '/usr/local/bin/tool.tar.gz', sp: 'a b  c', star: 'a*b' });
const lexer = new ShellLexer();

// [word, expected] — an expected of `Error` means an ExpansionError.
const single: [string, string | typeof Error][] = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", Error],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", Error],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', Error],
  ['"hello\\"', Error],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", Error],
  ["'hello\\'", 'hello\\'],
  ["'hello\\there'", 'hello\\there'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['\\${}', '${}'],
  ['\\${}aaa', '${}aaa'],
  ['he\\${}', 'he${}'],
  ['${}', Error],
  ['${}xx', Error],
  ['he${}xx', Error],
  ['${:-x}', Error],
  ['${{x}', Error],
  ['he${hi}', 'he'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', Error],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', Error],
  ['he${XXX?}', Error],
  ['he${XXX:?}', Error],
  ['he${PWD?}', 'he/home'],
  ['he${PWD:?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['he${NULL:?}', Error],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ['"$PWD"', '/home'],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ['he${PWD', Error],
  ['he${PWD=000}xx', Error],
  ['he${PWD+000}xx', 'he000xx'],
  ['he${PWD-000}xx', 'he/homexx'],
  ['he${XXX-000}xx', 'he000xx'],
  ['he${XXX+000}xx', 'hexx'],
  ['he${NULL-000}xx', 'hexx'],
  ['he${NULL+000}xx', 'he000xx'],
  ['he${NULL:-000}xx', 'he000xx'],
  ['he${NULL:+000}xx', 'hexx'],
  ['hello ${PWD} extra', 'hello /home extra'],
  ['${PWD#/}', 'home'],
  ['${PWD#*}', '/home'],
  ['${PWD##*}', ''],
  ['${PWD%*}', '/home'],
  ['${PWD%%*}', ''],
  ['${PWD%e}', '/hom'],
  ['${PWD#/h}', 'ome'],
  ['${str#f*b}', 'arbaz'],
  ['${str##f*b}', 'az'],
  ['${str%b*}', 'foobar'],
  ['${str%%b*}', 'foo'],
  ['${str/ba/fo}', 'fooforbaz'],
  ['${str//ba/fo}', 'fooforfoz'],
  ['${str/b?/X}', 'fooXrbaz'],
  ['${str//b*/X}', 'fooX'],
  ['${str/zz/X}', 'foobarbaz'],
  ['${str/#/X}', 'foobarbaz'],
  ['${path##*/}', 'tool.tar.gz'],
  ['${path%/*}', '/usr/local/bin'],
  ['${path%.*}', '/usr/local/bin/tool.tar'],
  ['${path%%.*}', '/usr/local/bin/tool'],
  ['${path#*.}', 'tar.gz'],
  ['${star#a\\*}', 'b'],
  ['${star%\\*b}', 'a'],
  ['${str#\\x}', Error],
  ['${str:#x}', Error],
  ['${str:%x}', Error],
  ['${str/a', Error],
  ['${str/a/b', Error],
  ['${NOPE/a/b}', ''],
  ['${XXX:?custom message}', Error],
  ['${NULL?}', ''],
  ['$', '$'],
  ['a$', 'a$'],
  ['$$', ''],
  ['${PWD}${SHELL}', '/homebash'],
  ['$PWD$SHELL', '/homebash'],
  ['"${sp}"', 'a b  c'],
  ['$sp', 'a b  c'],
  ['\\ a', ' a'],
  ['"a\\b"', 'a\\b'],
  ['"a\\"b"', 'a"b'],
  ['"a\\$b"', 'a$b'],
  ['"a\\\\b"', 'a\\b'],
  ['"${PWD:-"x y"}"', '/home'],
  ['${XXX:-"x y"}', 'x y'],
  ["${XXX:-'x'}", 'x'],
  ['${XXX:-\\}}', '}'],
];

for (const [word, expected] of single) {
  test(`processWord ${JSON.stringify(word)}`, () => {
    if (expected === Error) {
      assert.throws(() => lexer.processWord(word, env), ExpansionError);
    } else {
      assert.equal(lexer.processWord(word, env), expected);
    }
  });
}

const multi: [string, string[]][] = [
  ['hello world', ['hello', 'world']],
  ['$sp', ['a', 'b', 'c']],
  ['"$sp"', ['a b  c']],
  ['x$sp', ['xa', 'b', 'c']],
  ['  lead  trail  ', ['lead', 'trail']],
  ['"" a', ['a']],
  ["'a b' c", ['a b', 'c']],
  ['a\\ b c', ['a b', 'c']],
  ['${NOPE} x', ['x']],
  ['80 ${PORTS:-443 8080}', ['80', '443', '8080']],
];

for (const [word, expected] of multi) {
  test(`processWords ${JSON.stringify(word)}`, () => {
    assert.deepEqual(lexer.processWords(word, env), expected);
  });
}

test('error messages name the variable and the reason', () => {
  assert.throws(() => lexer.processWord('${XXX:?custom message}', env), { message: 'XXX: custom message' });
  assert.throws(() => lexer.processWord('${XXX?}', env), { message: 'XXX: is not allowed to be unset' });
  assert.throws(() => lexer.processWord('${NULL:?}', env), { message: 'NULL: is not allowed to be empty' });
  assert.throws(() => lexer.processWord('${PWD=x}', env), { message: 'unsupported modifier (=) in substitution' });
  assert.throws(() => lexer.processWord('${PWD', env), { message: "syntax error: missing '}'" });
  assert.throws(() => lexer.processWord('${}', env), { message: 'syntax error: bad substitution' });
});

test('backtick escape token', () => {
  const tick = new ShellLexer({ escapeToken: '`' });
  assert.equal(tick.processWord('c:\\dir`$PWD', env), 'c:\\dir$PWD');
  assert.equal(tick.processWord('"a`"b"', env), 'a"b');
  assert.equal(tick.processWord('a``b', env), 'a`b');
});

test('raw quotes and skipUnsetEnv keep the text as written', () => {
  const raw = new ShellLexer({ rawQuotes: true, skipUnsetEnv: true });
  assert.equal(raw.processWord('"EOF"', env), '"EOF"');
  assert.equal(raw.processWord('$NOPE ${NOPE} ${NOPE:-x}', env), '$NOPE ${NOPE} ${NOPE:-x}');
});

test('skipProcessQuotes leaves quotes in heredoc bodies', () => {
  const body = new ShellLexer({ skipProcessQuotes: true });
  assert.equal(body.processWord('echo "hello ${SHELL}" \'$PWD\'\n', env), 'echo "hello bash" \'/home\'\n');
});

test('many stars in a pattern do not make matching slow', () => {
  const value = 'a'.repeat(5000);
  const start = performance.now();
  assert.equal(lexer.processWord('${v//*b*b*b*b*b*b/x}', lookupIn({ v: value })), value);
  assert.equal(lexer.processWord('${v%%**********b}', lookupIn({ v: value })), value);
  assert.ok(performance.now() - start < 2000);
});
