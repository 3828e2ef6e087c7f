// Where the lab keeps what it makes once per machine (CA, certificates, base image layouts).
// `$KILN_LAB_DIR` moves it; the default sits in the repository and is gitignored.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function labDir(...parts: string[]): string {
  return join(process.env.KILN_LAB_DIR ?? join(repoRoot, '.lab'), ...parts);
}
