/**
 * relayfile's path globs: segments split on `/`, `*` matches one segment, `**` any number of them
 * (including none). Shared by webhook registration, the relay worker's filter and the directory mount.
 */
export function matchesPathGlob(glob: string, path: string): boolean {
  return matchSegments(segments(glob), segments(path));
}

export function matchesAnyPathGlob(globs: readonly string[], path: string): boolean {
  return globs.length === 0 || globs.some((glob) => matchesPathGlob(glob, path));
}

/** A glob is absolute, has no empty, `.` or `..` segment, and no wildcard inside a segment. */
export function pathGlobProblem(glob: string): string | undefined {
  if (!glob.startsWith('/')) return `path glob "${glob}" must start with /`;
  for (const segment of segments(glob)) {
    if (segment === '.' || segment === '..') return `path glob "${glob}" must not contain . or ..`;
    if (segment !== '*' && segment !== '**' && segment.includes('*'))
      return `path glob "${glob}" may use * and ** only as whole segments`;
  }
  return undefined;
}

function segments(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function matchSegments(pattern: readonly string[], path: readonly string[]): boolean {
  const [head, ...rest] = pattern;
  if (head === undefined) return path.length === 0;
  if (head === '**') {
    for (let skip = 0; skip <= path.length; skip++) if (matchSegments(rest, path.slice(skip))) return true;
    return false;
  }
  const [first, ...remaining] = path;
  if (first === undefined) return false;
  return (head === '*' || head === first) && matchSegments(rest, remaining);
}
