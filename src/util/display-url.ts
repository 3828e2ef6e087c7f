// URLs as messages may show them: the user:password part (a git token, a basic-auth
// password) dropped.

/** The URL without user:password, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
