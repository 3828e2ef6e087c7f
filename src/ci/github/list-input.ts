// The list forms of build-push-action's inputs: items on lines, or separated by commas, with
// double quotes around an item that holds a comma, a newline or a quote ("" inside quotes is
// one "). docker/metadata-action's `tags` and `labels` outputs are one item a line and pass
// through unchanged.

export interface ListOptions {
  /** Keep commas inside items: for KEY=VALUE inputs, whose values may hold commas. */
  ignoreComma?: boolean;
}

export function parseList(text: string, opts: ListOptions = {}): string[] {
  const items: string[] = [];
  let item = '';
  let quoted = false;
  let wasQuoted = false;
  const finish = (): void => {
    const value = wasQuoted ? item : item.trim();
    if (value !== '' || wasQuoted) items.push(value);
    item = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        item += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        item += c;
      }
    } else if (c === '"' && item.trim() === '') {
      // A quote opens a quoted item only at its start, as in csv; elsewhere it is text.
      item = '';
      quoted = true;
      wasQuoted = true;
    } else if (c === '\n' || (c === ',' && !opts.ignoreComma)) {
      finish();
    } else if (c !== '\r') {
      item += c;
    }
  }
  finish();
  return items;
}

/** `KEY=VALUE` items: the first `=` splits; the value keeps everything else. */
export function splitKeyValue(item: string): [string, string] | undefined {
  const eq = item.indexOf('=');
  if (eq <= 0) return undefined;
  return [item.slice(0, eq).trim(), item.slice(eq + 1)];
}

/** `a=b,c=d` fields of one cache-from/cache-to/outputs item. */
export function parseFields(item: string): Map<string, string> | undefined {
  const fields = new Map<string, string>();
  for (const part of parseList(item)) {
    const kv = splitKeyValue(part);
    if (!kv) return undefined;
    fields.set(kv[0].toLowerCase(), kv[1].trim());
  }
  return fields;
}

/** extra-args: whitespace-separated words, double quotes keep spaces. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (const c of text) {
    if (quoted) {
      if (c === '"') quoted = false;
      else word += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
