// A process-wide set of secret strings; every log line and error message printed by a face
// passes through redact(), so a secret that slipped into a message still never reaches output.

const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would blank out ordinary words; they are not worth guarding this way.
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}
