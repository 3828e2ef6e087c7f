// The ordered keychain: credential sources asked in a fixed order, the first answer wins.
// Answers are kept per (registry, repository) until shortly before they expire, so a build that
// pushes many blobs asks a cloud token service once, and a 401 can drop one so the next ask mints anew.
import type { Credential, Keychain, LookupContext } from './credential.ts';
import type { Answer, CredentialSource } from './source.ts';

/**
 * Re-mint this long before an answer's expiry, so a request in flight does not carry a dead token;
 * a token that lives shorter than twice this is re-minted halfway through its life instead.
 */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface Explanation {
  /** The source that claims the registry, or "anonymous" when none does. */
  source: string;
  why: string;
}

type SourcedAnswer = Answer & { source: string };

interface CachedAnswer {
  answer: Promise<SourcedAnswer | undefined>;
  /** When the lookup started: an answer's lifetime is counted from here. */
  askedAt: number;
}

function cacheKey(registry: string, repository: string | undefined): string {
  return `${registry.toLowerCase()}\n${repository ?? ''}`;
}

export class ChainKeychain implements Keychain {
  private readonly cache = new Map<string, CachedAnswer>();

  constructor(
    readonly sources: readonly CredentialSource[],
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(registry: string, repository?: string, context?: LookupContext): Promise<Credential | undefined> {
    return (await this.answer(registry, repository, context))?.credential;
  }

  /** The answer with the name of the source that gave it; cached like `resolve`. */
  answer(registry: string, repository?: string, context?: LookupContext): Promise<SourcedAnswer | undefined> {
    const key = cacheKey(registry, repository);
    const cached = this.cache.get(key);
    if (cached) return cached.answer.then((a) => (a && this.fresh(a, cached.askedAt) ? a : this.refresh(key, registry, repository, context)));
    return this.refresh(key, registry, repository, context);
  }

  /** Forgets cached answers for a registry (one repository, or all of them) so the next resolve asks again. */
  invalidate(registry: string, repository?: string): void {
    if (repository !== undefined) {
      this.cache.delete(cacheKey(registry, repository));
      return;
    }
    const prefix = `${registry.toLowerCase()}\n`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  /** Which source would answer and why, decided without network or secrets. */
  explain(registry: string, repository?: string): Explanation {
    for (const source of this.sources) {
      const why = source.claims(registry, repository);
      if (why !== undefined) return { source: source.name, why };
    }
    return { source: 'anonymous', why: `no credential source claims ${registry}` };
  }

  private fresh(answer: Answer, askedAt: number): boolean {
    if (answer.expiresAt === undefined) return true;
    const margin = Math.min(EXPIRY_MARGIN_MS, (answer.expiresAt - askedAt) / 2);
    return this.now() < answer.expiresAt - margin;
  }

  private refresh(key: string, registry: string, repository?: string, context?: LookupContext): Promise<SourcedAnswer | undefined> {
    const answer = this.lookup(registry, repository, context);
    this.cache.set(key, { answer, askedAt: this.now() });
    // A failure is reported once, not remembered: the next call may find the cause fixed.
    answer.catch(() => {
      if (this.cache.get(key)?.answer === answer) this.cache.delete(key);
    });
    return answer;
  }

  private async lookup(registry: string, repository?: string, context?: LookupContext): Promise<SourcedAnswer | undefined> {
    for (const source of this.sources) {
      if (source.claims(registry, repository) === undefined) continue;
      const found = await source.lookup(registry, repository, context);
      if (found) return { ...found, source: source.name };
    }
    return undefined;
  }
}
