// http(s):// contexts: a (compressed) tar fetched with undici and streamed straight into the
// extractor. HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply; user:password in the URL is sent as
// basic auth, since fetch refuses URLs that carry credentials.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EnvHttpProxyAgent, fetch } from 'undici';
import { BuilderError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';

export async function openUrl(url: string, spec: string): Promise<{ stream: Readable; size?: number }> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    registerSecret(password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const dispatcher = new EnvHttpProxyAgent();
  const close = (): void => void dispatcher.close();
  let response;
  try {
    response = await fetch(target, { headers, dispatcher });
  } catch (err) {
    close();
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new BuilderError('CONTEXT_NOT_FOUND', `--context=${spec}: cannot reach ${target.host}: ${cause}`, { cause: err });
  }
  if (!response.ok || !response.body) {
    close();
    const status = response.status;
    const code = status === 401 || status === 403 ? 'CREDENTIALS' : status === 404 || status === 410 ? 'CONTEXT_NOT_FOUND' : 'CONTEXT_INVALID';
    throw new BuilderError(code, `--context=${spec}: ${target.host} answered ${status} ${response.statusText}`.trimEnd());
  }
  const length = Number(response.headers.get('content-length'));
  const stream = Readable.fromWeb(response.body as unknown as WebReadableStream);
  stream.once('close', close);
  return { stream, size: Number.isFinite(length) && length > 0 ? length : undefined };
}
