// What `kiln auth configure` and `kiln auth oidc` leave behind for other tools (podman, skopeo,
// crane, docker) and for later kiln runs: a private DOCKER_CONFIG directory whose config.json holds
// either a static login or a credHelpers entry naming docker-credential-kiln. The helper's recipe
// (which provider and where the subject token comes from: no secret) sits beside config.json in
// kiln-credential-helper.json, read on every `get` so each answer is minted anew.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { saveCredential, saveCredHelper, writePrivateJson } from './config-writer.ts';
import type { Credential, Keychain, LookupContext } from './credential.ts';
import { dockerConfigDir } from './docker-config.ts';
import { mintRegistryCredential } from './oidc/index.ts';
import type { OidcProviderSpec, SubjectTokenSource } from './oidc/types.ts';
import { normalizeHost } from './server-key.ts';

/** The helper name in credHelpers: docker-credential-kiln. */
export const KILN_HELPER = 'kiln';

export const RECIPE_FILE = 'kiln-credential-helper.json';

/** How docker-credential-kiln answers for one registry: an OIDC exchange, or (none) kiln's built-in sources. */
export interface HelperRecipe {
  oidc?: {
    spec: OidcProviderSpec;
    /** A token in hand is a secret and has no place in a recipe; the helper reads its token anew on every get. */
    subject: Exclude<SubjectTokenSource, { kind: 'value' }>;
  };
}

interface RecipeFile {
  registries: Record<string, HelperRecipe>;
}

/**
 * The directory to write into: `dir` (created 0700 when missing), else a fresh private temp
 * directory (mkdtemp makes it 0700), so no other user reads the credentials in it.
 */
export function privateDockerConfigDir(dir?: string): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'kiln-docker-config-'));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `--docker-config ${dir}: cannot create (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return dir;
}

/** A static login for `registry` in DIR/config.json. */
export function configureLogin(dir: string, registry: string, credential: Credential): void {
  saveCredential(join(dir, 'config.json'), registry, credential);
}

function recipePath(dir: string): string {
  return join(dir, RECIPE_FILE);
}

function readRecipeFile(path: string): RecipeFile {
  if (!existsSync(path)) return { registries: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BuilderError('CREDENTIALS', `${path}: not a kiln credential helper recipe (${(err as Error).message.split('\n')[0]})`);
  }
  const registries = (parsed as Partial<RecipeFile> | null)?.registries;
  if (typeof registries !== 'object' || registries === null) throw new BuilderError('CREDENTIALS', `${path}: not a kiln credential helper recipe (no "registries" object)`);
  return { registries };
}

/** credHelpers `{"registry": "kiln"}` in DIR/config.json and the registry's recipe beside it. */
export function configureHelper(dir: string, registry: string, recipe: HelperRecipe): void {
  const path = recipePath(dir);
  const file = readRecipeFile(path);
  file.registries[normalizeHost(registry)] = recipe;
  writePrivateJson(path, file);
  saveCredHelper(join(dir, 'config.json'), registry, KILN_HELPER);
}

/** The recipes docker-credential-kiln holds, from $DOCKER_CONFIG (~/.docker without it), by registry. */
export function helperRecipes(env: NodeJS.ProcessEnv): Record<string, HelperRecipe> {
  return readRecipeFile(recipePath(dockerConfigDir(env))).registries;
}

/**
 * What the kiln helper answers for a registry: its recipe's OIDC exchange, minted now (never
 * cached: the point is a fresh token on every ask), else whatever `builtins` has for it.
 */
export async function kilnHelperCredential(registry: string, env: NodeJS.ProcessEnv, builtins: Keychain, repository?: string, context?: LookupContext): Promise<Credential | undefined> {
  const oidc = helperRecipes(env)[normalizeHost(registry)]?.oidc;
  if (!oidc) return builtins.resolve(registry, repository, context);
  return (await mintRegistryCredential({ registry, spec: oidc.spec, subject: oidc.subject }, env, context)).credential;
}
