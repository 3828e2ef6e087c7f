// docker-credential-kiln: a credential helper speaking docker's protocol (docker-credential-helpers)
// so podman, skopeo, crane and docker get kiln's credentials through a config.json credHelpers
// entry (`kiln auth configure --helper`). Every `get` mints anew, from the registry's recipe
// (an OIDC exchange) or kiln's built-in sources, so a job longer than a token's life keeps
// working. It stores nothing: `store` and `erase` are refused, as the ECR helper does.
//
// The protocol, as docker-credential-helpers' `credentials.Serve`: the action is argv[1];
//   get    stdin: the server URL; stdout: {"ServerURL","Username","Secret"}
//   store  stdin: {"ServerURL","Username","Secret"}
//   erase  stdin: the server URL
//   list   stdout: {"<server URL>": "<username>"}
//   version
// Errors go to stdout, one line, exit 1; nothing known is "credentials not found in native keychain".
import { pathToFileURL } from 'node:url';
import { builtinKeychain } from '../auth/default-keychain.ts';
import { DEFAULT_CREDENTIAL_HELPERS } from '../auth/builtins.ts';
import { helperRecipes, kilnHelperCredential } from '../auth/configure.ts';
import { credentialSecret, type Credential } from '../auth/credential.ts';
import { parseServerKey } from '../auth/server-key.ts';
import { describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';

declare const KILN_VERSION: string | undefined;

/** docker-credential-helpers' error texts, which callers match on. */
export const NOT_FOUND = 'credentials not found in native keychain';
const NO_SERVER_URL = 'no credentials server URL';
/** The Username that says the Secret is an identity (refresh) token, not a password. */
const IDENTITY_TOKEN_USER = '<token>';
const USAGE = 'Usage: docker-credential-kiln <store|get|erase|list|version>';

class HelperError extends Error {}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stdin) parts.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

function helperAnswer(serverUrl: string, credential: Credential): string {
  if (credential.kind === 'registryToken') {
    throw new HelperError(`a registry token for ${serverUrl} cannot be passed through the credential helper protocol`);
  }
  const username = credential.kind === 'basic' ? credential.username : IDENTITY_TOKEN_USER;
  return JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: credentialSecret(credential) });
}

async function get(input: string, env: NodeJS.ProcessEnv): Promise<string> {
  const serverUrl = input.trim();
  if (serverUrl === '') throw new HelperError(NO_SERVER_URL);
  const registry = parseServerKey(serverUrl).host;
  const credential = await kilnHelperCredential(registry, env, builtinKeychain(DEFAULT_CREDENTIAL_HELPERS, env));
  if (!credential) throw new HelperError(NOT_FOUND);
  return helperAnswer(serverUrl, credential);
}

function list(env: NodeJS.ProcessEnv): string {
  // The user name is the token service's to choose at mint time; the protocol allows it empty.
  return JSON.stringify(Object.fromEntries(Object.keys(helperRecipes(env)).map((registry) => [registry, ''])));
}

/** Runs one action; returns the exit code and what goes to stdout. */
export async function credentialHelper(argv: string[], stdin: NodeJS.ReadableStream, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  const action = argv[0];
  try {
    switch (action) {
      case 'get':
        return { code: 0, stdout: await get(await readStdin(stdin), env) };
      case 'list':
        return { code: 0, stdout: list(env) };
      case 'store':
      case 'erase':
        await readStdin(stdin);
        throw new HelperError(`docker-credential-kiln mints credentials on every get and keeps none; ${action} is not supported (configure it with kiln auth configure)`);
      case 'version':
        return { code: 0, stdout: `docker-credential-kiln (kiln) ${typeof KILN_VERSION === 'string' ? KILN_VERSION : 'dev'}` };
      case undefined:
        return { code: 1, stdout: USAGE };
      default:
        throw new HelperError(`Unknown credential action \`${action}\``);
    }
  } catch (err) {
    return { code: 1, stdout: err instanceof HelperError ? err.message : describeError(err) };
  }
}

// Bundled as dist/docker-credential-kiln.js (scripts/build.mjs); from source, when node runs this file.
declare const KILN_ENTRY: string | undefined;
const bundledAs = typeof KILN_ENTRY === 'string' ? KILN_ENTRY : undefined;
const isEntry = bundledAs !== undefined ? bundledAs === 'docker-credential-kiln' : Boolean(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void credentialHelper(process.argv.slice(2), process.stdin, process.env).then(({ code, stdout }) => {
    // The secret of a get is the protocol's answer; anything else printed passes the redactor.
    process.stdout.write(`${code === 0 && process.argv[2] === 'get' ? stdout : redact(stdout)}\n`);
    process.exitCode = code;
  });
}
