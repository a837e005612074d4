// Module resolution hook for trace-imports.mjs (runs on the loader thread).
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!resolved.url.startsWith('node:')) process.stderr.write(`imported ${resolved.url}\n`);
  return resolved;
}
