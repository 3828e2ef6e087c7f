// A package imported on demand lands in an esbuild chunk of its own; for a CommonJS package that
// chunk exports `module.exports` as its only export, `default`, where Node and tsx give the named
// exports as well. Destructuring what this returns works in the bundle and from the sources.
export function namedExports<T extends object>(ns: T): T {
  const keys = Object.keys(ns);
  if (keys.length === 1 && keys[0] === 'default') return (ns as unknown as { default: T }).default;
  return ns;
}
