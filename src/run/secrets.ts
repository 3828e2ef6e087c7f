// Secret mounts: their bytes go to a file only, and every line kiln prints is masked for them.
import { registerSecret } from '../util/redact.ts';
import type { SecretMount } from './spec.ts';

export function secretTarget(m: SecretMount): string {
  return m.target ?? `/run/secrets/${m.id}`;
}

/**
 * Makes the logger mask the secret's value, in case a command echoes it into build output that
 * kiln logs; with and without the trailing newline secret files usually end with.
 */
export function guardSecret(m: SecretMount): void {
  const text = Buffer.from(m.data).toString('utf8');
  registerSecret(text);
  registerSecret(text.trim());
}
